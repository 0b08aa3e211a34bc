import type { Metadata } from "next";
import { NoDataPage } from "../../_components/not-yet";

export const metadata: Metadata = { title: "Migrations" };

export default function Page() {
  return (
    <NoDataPage
      title="Migrations"
      description="Migration history and timings against memory size."
      empty="No migrations yet"
      explain="Every live migration is listed with its route, memory, total time, downtime and outcome, next to a chart of time against memory."
    />
  );
}
