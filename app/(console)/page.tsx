import type { Metadata } from "next";
import { PageHeader } from "../_components/ui";
import { OverviewStatus } from "./overview-status";

export const metadata: Metadata = { title: "Overview" };

export default function OverviewPage() {
  return (
    <>
      <PageHeader title="Overview" description="Sites, hosts, switches and migrations at a glance." />
      <OverviewStatus />
    </>
  );
}
