import type { Metadata } from "next";
import { NoDataPage } from "../../_components/not-yet";

export const metadata: Metadata = { title: "Hypervisors" };

export default function Page() {
  return (
    <NoDataPage
      title="Hypervisors"
      description="Compute hosts, their site, hypervisor and capacity."
      empty="No hypervisors registered"
      explain="Each host appears with its site, hypervisor type and version, CPU, memory used and total, and its VMs."
    />
  );
}
