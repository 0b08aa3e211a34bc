import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { MigrationList } from "./migration-list";
import { TimingsCard } from "./timings-chart";

export const metadata: Metadata = { title: "Migrations" };

export default function MigrationsPage() {
  return (
    <>
      <PageHeader title="Migrations" description="Every live migration: route, memory, total time, downtime and outcome." />
      <div className="space-y-5">
        <TimingsCard />
        <MigrationList />
      </div>
    </>
  );
}
