import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { HostTable } from "./host-table";

export const metadata: Metadata = { title: "Hypervisors" };

export default function HypervisorsPage() {
  return (
    <>
      <PageHeader title="Hypervisors" description="Compute hosts, their site, hypervisor and bridges." />
      <HostTable />
    </>
  );
}
