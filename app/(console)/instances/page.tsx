import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { VmTable } from "./vm-table";

export const metadata: Metadata = { title: "Instances" };

export default function InstancesPage() {
  return (
    <>
      <PageHeader title="Instances" description="Virtual machines, where they run, and their addresses." />
      <VmTable />
    </>
  );
}
