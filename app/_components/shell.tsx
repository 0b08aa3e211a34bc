"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useCallback, useEffect, useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";
import { FerryMark } from "./ferry-mark";
import { RealtimeProvider, useRealtime } from "./realtime";
import { SiteFilterProvider, SitePicker } from "./site-filter";
import { GlobalSearch } from "./global-search";
import { OpenMigrationContext } from "./opening";
import { MigrationView } from "../(console)/migrations/[id]/migration-view";

export const NAV = [
  { href: "/", label: "Overview" },
  { href: "/hypervisors", label: "Hypervisors" },
  { href: "/instances", label: "Instances" },
  { href: "/images", label: "Images" },
  { href: "/migrations", label: "Migrations" },
  { href: "/switches", label: "Switches" },
  { href: "/events", label: "Events" },
  { href: "/network", label: "Network" },
  { href: "/audit", label: "Audit" },
] as const;

function isActive(pathname: string, href: string) {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(href + "/");
}

function LiveIndicator() {
  const { state } = useRealtime();
  const look = {
    live: { dot: "bg-emerald-500", text: "Live" },
    connecting: { dot: "bg-amber-400 animate-pulse", text: "Connecting" },
    down: { dot: "bg-red-500", text: "Disconnected" },
  }[state];
  return (
    <span className="flex items-center gap-1.5 text-xs text-slate-600" data-testid="live-indicator" data-state={state} title="Socket.IO connection to the server">
      <span className={`h-2 w-2 rounded-full ${look.dot}`} />
      {look.text}
    </span>
  );
}

function UserMenu() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const logout = useMutation(trpc.auth.logout.mutationOptions({ onSettled: () => window.location.assign("/login") }));
  if (!me.data) return <span className="text-xs text-slate-400">…</span>;
  return (
    <div className="flex items-center gap-3">
      <span className="text-sm text-slate-700" data-testid="signed-in-user">
        <span className="font-medium">{me.data.username}</span>
        <span className="ml-1.5 rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600">{me.data.role}</span>
      </span>
      <button
        onClick={() => logout.mutate()}
        disabled={logout.isPending}
        className="rounded border border-slate-300 px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-100"
      >
        Sign out
      </button>
    </div>
  );
}

export function Shell({ children }: { children: React.ReactNode }) {
  const pathname = usePathname();
  // A migration just started from this page: its view, until the navigation to its page lands.
  const [opening, setOpening] = useState<{ id: string; from: string } | null>(null);
  const openMigration = useCallback((id: string) => setOpening({ id, from: pathname }), [pathname]);
  useEffect(() => {
    if (opening && pathname !== opening.from) setOpening(null);
  }, [pathname, opening]);
  return (
    <RealtimeProvider>
      <OpenMigrationContext.Provider value={openMigration}>
        <SiteFilterProvider>
          <div className="flex min-h-full">
            <nav className="flex w-52 shrink-0 flex-col bg-slate-900 text-slate-300" aria-label="Main">
              <Link href="/" className="flex items-center gap-2.5 px-4 py-4 text-white">
                <FerryMark className="h-7 w-7" />
                <span className="text-base font-semibold tracking-tight">Ferry</span>
              </Link>
              <ul className="mt-2 space-y-0.5 px-2">
                {NAV.map((item) => {
                  const active = isActive(pathname, item.href);
                  return (
                    <li key={item.href}>
                      <Link
                        href={item.href}
                        aria-current={active ? "page" : undefined}
                        className={`block rounded px-3 py-1.5 text-sm ${active ? "bg-slate-800 font-medium text-white" : "hover:bg-slate-800/60 hover:text-white"}`}
                      >
                        {item.label}
                      </Link>
                    </li>
                  );
                })}
              </ul>
            </nav>
            <div className="flex min-w-0 flex-1 flex-col">
              <header className="flex h-12 items-center justify-between gap-4 border-b border-slate-200 bg-white px-5">
                <div className="flex items-center gap-4">
                  <SitePicker />
                  <GlobalSearch />
                </div>
                <div className="flex items-center gap-4">
                  <LiveIndicator />
                  <UserMenu />
                </div>
              </header>
              <main className="min-w-0 flex-1 p-5">{opening ? <MigrationView id={opening.id} /> : children}</main>
            </div>
          </div>
        </SiteFilterProvider>
      </OpenMigrationContext.Provider>
    </RealtimeProvider>
  );
}
