import { EmptyState, PageHeader } from "./ui";

/** A page whose data source is not registered yet: says what it will show, invents nothing. */
export function NoDataPage({ title, description, empty, explain }: { title: string; description: string; empty: string; explain: string }) {
  return (
    <>
      <PageHeader title={title} description={description} />
      <EmptyState title={empty}>{explain}</EmptyState>
    </>
  );
}
