import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { AuditTable } from "./audit-table";

export const metadata: Metadata = { title: "Audit" };

export default function AuditPage() {
  return (
    <>
      <PageHeader title="Audit" description="Every change and every refused attempt: who, what, when, and how it ended." />
      <AuditTable />
    </>
  );
}
