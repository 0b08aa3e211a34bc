import type { Metadata } from "next";
import { NoDataPage } from "../../_components/not-yet";

export const metadata: Metadata = { title: "Instances" };

export default function Page() {
  return (
    <NoDataPage
      title="Instances"
      description="Virtual machines, where they run, and live migration."
      empty="No instances"
      explain="VMs appear with their host, site, IP, MAC, memory and state; from here an admin starts a live migration."
    />
  );
}
