"use client";
// The top bar's site filter (All / A / B …), shared by every list page through one context.
// The choice lives in the URL (?site=a, so a link shows what its sender saw) and in local storage
// (so it survives navigation through the side bar, whose links carry no query).
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { usePathname } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";

const STORAGE_KEY = "ferry.site";
const PARAM = "site";

export interface SiteFilter {
  /** The chosen site's name, or null for all sites. */
  site: string | null;
  setSite: (site: string | null) => void;
  /** Every known site (from the registered hosts), sorted. */
  sites: string[];
  /** Whether a row at this site is shown; rows with no site are shown only under "All". */
  matches: (site: string | null | undefined) => boolean;
  /** Host name → site name, for rows that only know their host. */
  siteOfHost: (host: string | null | undefined) => string | null;
}

const Ctx = createContext<SiteFilter>({ site: null, setSite: () => {}, sites: [], matches: () => true, siteOfHost: () => null });

function writeUrl(site: string | null) {
  const url = new URL(window.location.href);
  if (site) url.searchParams.set(PARAM, site);
  else url.searchParams.delete(PARAM);
  if (url.href !== window.location.href) window.history.replaceState(window.history.state, "", url);
}

export function SiteFilterProvider({ children }: { children: React.ReactNode }) {
  const trpc = useTRPC();
  const pathname = usePathname();
  const hosts = useQuery(trpc.inventory.placement.queryOptions(undefined, { staleTime: 30_000 }));
  const [site, setSiteState] = useState<string | null>(null);

  // First render: the URL wins over what this browser remembers.
  useEffect(() => {
    const fromUrl = new URL(window.location.href).searchParams.get(PARAM);
    const chosen = fromUrl || window.localStorage.getItem(STORAGE_KEY) || null;
    setSiteState(chosen);
  }, []);

  // After each navigation, put the choice back into the address bar.
  useEffect(() => {
    writeUrl(site);
  }, [pathname, site]);

  const setSite = useCallback((next: string | null) => {
    setSiteState(next);
    if (next) window.localStorage.setItem(STORAGE_KEY, next);
    else window.localStorage.removeItem(STORAGE_KEY);
  }, []);

  const value = useMemo<SiteFilter>(() => {
    const hostSite = new Map((hosts.data ?? []).map((h) => [h.name, h.site]));
    const sites = [...new Set(hostSite.values())].sort();
    return {
      site,
      setSite,
      sites,
      matches: (s) => site === null || s === site,
      siteOfHost: (h) => (h ? (hostSite.get(h) ?? null) : null),
    };
  }, [hosts.data, site, setSite]);

  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/**
 * The current site filter. A list page filters its rows with `matches(row.site)` (or
 * `matches(siteOfHost(row.host))`) and shows `<SiteScope …/>` so a filtered view never looks empty by accident.
 */
export function useSiteFilter(): SiteFilter {
  return useContext(Ctx);
}

/** The top bar's control: All / A / B … as a group of toggle buttons. */
export function SitePicker() {
  const { site, setSite, sites } = useSiteFilter();
  const options: { value: string | null; label: string }[] = [{ value: null, label: "All" }, ...sites.map((s) => ({ value: s, label: s.toUpperCase() }))];
  return (
    <div role="group" aria-label="Site filter" className="flex items-center rounded border border-slate-300 bg-white p-0.5 text-xs" data-testid="site-filter">
      <span className="px-1.5 text-slate-500">Site</span>
      {options.map((o) => (
        <button
          key={o.label}
          type="button"
          aria-pressed={site === o.value}
          onClick={() => setSite(o.value)}
          className={`rounded px-2 py-0.5 font-medium ${site === o.value ? "bg-accent-600 text-white" : "text-slate-700 hover:bg-slate-100"}`}
        >
          {o.label}
        </button>
      ))}
      {site !== null && !sites.includes(site) && sites.length > 0 && (
        <span className="px-1.5 text-amber-700" title="No registered host is at this site">
          {site} (unknown)
        </span>
      )}
    </div>
  );
}

/** "Showing site B: 3 of 7 hosts · Show all", or nothing when no filter is set. */
export function SiteScope({ shown, total, noun }: { shown: number; total: number; noun: string }) {
  const { site, setSite } = useSiteFilter();
  if (site === null) return null;
  return (
    <p className="mb-2 flex items-center gap-2 text-xs text-slate-600" data-testid="site-scope">
      <span>
        Site {site.toUpperCase()}: {shown} of {total} {noun}
      </span>
      <button type="button" onClick={() => setSite(null)} className="text-accent-700 hover:underline">
        Show all sites
      </button>
    </p>
  );
}
