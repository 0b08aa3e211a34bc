import type { Metadata } from "next";
import { NoDataPage } from "../../_components/not-yet";

export const metadata: Metadata = { title: "Network" };

export default function Page() {
  return (
    <NoDataPage
      title="Network"
      description="Networks, subnets, ports and their bindings."
      empty="No networks"
      explain="Networks and subnets appear with each port's MAC, fixed IP and the host it is bound to."
    />
  );
}
