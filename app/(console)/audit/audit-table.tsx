"use client";
import { useState } from "react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc";
import { EmptyState, ErrorBox, Loading, Pill } from "../../_components/ui";
import { RelativeTime } from "../../_components/time";

const OUTCOME_TONE = { ok: "ok", denied: "warning", error: "failed" } as const;
type Outcome = keyof typeof OUTCOME_TONE;

export function AuditTable() {
  const trpc = useTRPC();
  const [outcome, setOutcome] = useState<Outcome | "">("");
  const [search, setSearch] = useState("");
  const query = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(
      { limit: 50, outcome: outcome || undefined, search: search.trim() || undefined },
      { getNextPageParam: (last) => last.nextCursor },
    ),
  );
  const rows = query.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <div className="space-y-3">
      <div className="flex items-center gap-2">
        <input
          type="search"
          placeholder="Filter by user, action or target"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          className="w-72 rounded border border-slate-300 bg-white px-3 py-1.5 text-sm"
          aria-label="Filter audit events"
        />
        <select
          value={outcome}
          onChange={(e) => setOutcome(e.target.value as Outcome | "")}
          className="rounded border border-slate-300 bg-white px-2 py-1.5 text-sm"
          aria-label="Outcome"
        >
          <option value="">All outcomes</option>
          <option value="ok">ok</option>
          <option value="denied">denied</option>
          <option value="error">error</option>
        </select>
      </div>
      {query.isPending ? (
        <Loading />
      ) : query.error ? (
        <ErrorBox error={query.error} />
      ) : rows.length === 0 ? (
        <EmptyState title="No audit events match">Sign-ins, changes and refused attempts are recorded here.</EmptyState>
      ) : (
        <div className="overflow-hidden rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-sm" data-testid="audit-table">
            <thead className="bg-slate-50 text-left text-xs font-medium uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-3 py-2">When</th>
                <th className="px-3 py-2">User</th>
                <th className="px-3 py-2">Action</th>
                <th className="px-3 py-2">Target</th>
                <th className="px-3 py-2">Outcome</th>
                <th className="px-3 py-2">From</th>
                <th className="px-3 py-2">Detail</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rows.map((r) => (
                <tr key={r.id} className="hover:bg-slate-50">
                  <td className="whitespace-nowrap px-3 py-1.5 text-slate-600">
                    <RelativeTime at={new Date(r.at)} />
                  </td>
                  <td className="px-3 py-1.5">{r.username}</td>
                  <td className="px-3 py-1.5 font-mono text-xs">{r.action}</td>
                  <td className="px-3 py-1.5 font-mono text-xs">{r.target ?? "—"}</td>
                  <td className="px-3 py-1.5">
                    <Pill tone={OUTCOME_TONE[r.outcome as Outcome] ?? "neutral"}>{r.outcome}</Pill>
                  </td>
                  <td className="px-3 py-1.5 font-mono text-xs text-slate-500">{r.ip ?? "—"}</td>
                  <td className="max-w-md truncate px-3 py-1.5 font-mono text-xs text-slate-500" title={r.detail ?? ""}>
                    {r.detail ?? ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {query.hasNextPage && (
            <div className="border-t border-slate-100 p-2 text-center">
              <button onClick={() => query.fetchNextPage()} disabled={query.isFetchingNextPage} className="text-sm text-accent-600 hover:underline">
                {query.isFetchingNextPage ? "Loading…" : "Load older events"}
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
