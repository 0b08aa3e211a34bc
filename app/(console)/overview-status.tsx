"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";
import { Card, ErrorBox, Loading, Pill } from "../_components/ui";
import { OverviewLab } from "./overview-lab";
import { OverviewCards } from "./overview-cards";
import { RelativeTime } from "../_components/time";

const TONE = { running: "ok", starting: "running", stopping: "running", stopped: "neutral", failed: "failed" } as const;

export function OverviewStatus() {
  const trpc = useTRPC();
  const status = useQuery(trpc.system.status.queryOptions(undefined, { refetchInterval: 10_000 }));
  if (status.isPending) return <Loading />;
  if (status.error) return <ErrorBox error={status.error} />;
  const { subsystems, database, version } = status.data;
  return (
    <div className="space-y-5">
      <OverviewCards />
      <OverviewLab />
      <Card title="This server">
        <dl className="grid grid-cols-[10rem_1fr] gap-y-1.5 text-sm">
          <dt className="text-slate-500">Version</dt>
          <dd className="font-mono">{version}</dd>
          <dt className="text-slate-500">Database</dt>
          <dd data-testid="database-kind">{database === "sqlite" ? "SQLite" : "PostgreSQL"}</dd>
          <dt className="text-slate-500">Subsystems</dt>
          <dd>
            {subsystems.length === 0 ? (
              <span className="text-slate-500">none configured</span>
            ) : (
              <ul className="space-y-1">
                {subsystems.map((s) => (
                  <li key={s.name} className="flex items-center gap-2">
                    <span className="w-40">{s.name}</span>
                    <Pill tone={TONE[s.state]}>{s.state}</Pill>
                    <span className="text-xs text-slate-500">
                      since <RelativeTime at={new Date(s.since)} />
                    </span>
                    {s.error && <span className="text-xs text-red-700">{s.error}</span>}
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </dl>
      </Card>
    </div>
  );
}
