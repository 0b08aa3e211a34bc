import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { EventStream } from "./event-stream";

export const metadata: Metadata = { title: "Events" };

export default function EventsPage() {
  return (
    <>
      <PageHeader title="Events" description="Live OpenFlow events from every switch: packet-in, flow-mod, flow-removed, port status, switch up/down." />
      <EventStream />
    </>
  );
}
