import type { Metadata } from "next";
import { NoDataPage } from "../../_components/not-yet";

export const metadata: Metadata = { title: "Switches" };

export default function Page() {
  return (
    <NoDataPage
      title="Switches"
      description="OpenFlow switches connected to the embedded controller."
      empty="No switches connected"
      explain="Each Open vSwitch bridge that connects to the controller appears with its datapath id, OpenFlow version, ports and live flow table."
    />
  );
}
