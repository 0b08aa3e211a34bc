import type { Metadata } from "next";
import { NoDataPage } from "../../_components/not-yet";

export const metadata: Metadata = { title: "Events" };

export default function Page() {
  return (
    <NoDataPage
      title="Events"
      description="Live OpenFlow events: packet-in, flow-mod, flow-removed, port status."
      empty="No events"
      explain="Events stream in here as switches connect and traffic reaches the controller."
    />
  );
}
