import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { NetworkList } from "./network-list";

export const metadata: Metadata = { title: "Network" };

export default function NetworkPage() {
  return (
    <>
      <PageHeader title="Network" description="Networks, subnets, ports and where each port is bound." />
      <NetworkList />
    </>
  );
}
