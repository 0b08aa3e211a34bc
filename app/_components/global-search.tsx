"use client";
// The top bar's search: VMs by name, IP or MAC; switches by datapath id; hosts by name.
// "/" focuses it from anywhere, arrows move through the grouped results, Enter opens one, Escape closes.
import { useEffect, useMemo, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";

interface Hit {
  group: "Instances" | "Switches" | "Hosts";
  key: string;
  title: string;
  detail: string;
  href: string;
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

export function GlobalSearch() {
  const trpc = useTRPC();
  const router = useRouter();
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const q = useDebounced(text.trim(), 150);
  const search = useQuery(trpc.inventory.search.queryOptions({ q }, { enabled: q.length > 0, staleTime: 2_000 }));

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !isTyping(e.target)) {
        e.preventDefault();
        input.current?.focus();
        input.current?.select();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const hits = useMemo<Hit[]>(() => {
    const d = search.data;
    if (!d || q.length === 0) return [];
    return [
      ...d.vms.map((v) => ({
        group: "Instances" as const,
        key: `vm:${v.name}`,
        title: v.name,
        detail: [v.matched === "ip" ? v.ips.join(", ") : v.matched === "mac" ? v.macs.join(", ") : v.ips[0], v.host && `on ${v.host}`, v.state].filter(Boolean).join(" · "),
        href: `/instances/${encodeURIComponent(v.name)}`,
      })),
      ...d.switches.map((s) => ({
        group: "Switches" as const,
        key: `sw:${s.dpid}`,
        title: s.dpid,
        detail: [s.bridge && s.host ? `${s.bridge} on ${s.host}` : null, s.connected ? "connected" : "not connected"].filter(Boolean).join(" · "),
        href: `/switches/${s.dpid}`,
      })),
      ...d.hosts.map((h) => ({ group: "Hosts" as const, key: `host:${h.name}`, title: h.name, detail: `site ${h.site.toUpperCase()} · ${h.status}`, href: `/hypervisors#host-${h.name}` })),
    ];
  }, [search.data, q]);

  useEffect(() => setActive(0), [q]);

  const go = (hit: Hit | undefined) => {
    if (!hit) return;
    setOpen(false);
    setText("");
    input.current?.blur();
    router.push(hit.href);
  };

  const groups = ["Instances", "Switches", "Hosts"] as const;
  const showPanel = open && text.trim().length > 0;
  return (
    <div className="relative w-80">
      <input
        ref={input}
        type="search"
        role="combobox"
        aria-expanded={showPanel}
        aria-controls="global-search-results"
        aria-activedescendant={showPanel && hits[active] ? `search-hit-${active}` : undefined}
        aria-label="Search VMs, IPs, MACs, switches"
        placeholder="Search VM, IP, MAC, dpid…   /"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setActive((i) => Math.min(i + 1, Math.max(0, hits.length - 1)));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((i) => Math.max(i - 1, 0));
          } else if (e.key === "Enter") {
            e.preventDefault();
            go(hits[active]);
          } else if (e.key === "Escape") {
            setOpen(false);
            input.current?.blur();
          }
        }}
        className="w-full rounded border border-slate-300 bg-slate-50 px-3 py-1 text-sm placeholder:text-slate-400 focus:bg-white"
      />
      {showPanel && (
        <div id="global-search-results" role="listbox" aria-label="Search results" className="absolute right-0 z-30 mt-1 max-h-96 w-[28rem] overflow-auto rounded-lg border border-slate-200 bg-white py-1 text-sm shadow-lg" data-testid="search-results">
          {q !== text.trim() || search.isFetching && !search.data ? (
            <p className="px-3 py-2 text-slate-500">Searching…</p>
          ) : search.error ? (
            <p role="alert" className="px-3 py-2 text-red-700">Search failed: {search.error.message}</p>
          ) : hits.length === 0 ? (
            <p className="px-3 py-2 text-slate-500">Nothing matches “{q}”.</p>
          ) : (
            groups.map((g) => {
              const inGroup = hits.map((h, i) => [h, i] as const).filter(([h]) => h.group === g);
              if (inGroup.length === 0) return null;
              return (
                <div key={g} role="group" aria-label={g}>
                  <div className="px-3 pb-0.5 pt-1.5 text-xs font-medium uppercase tracking-wide text-slate-400">{g}</div>
                  {inGroup.map(([h, i]) => (
                    <div
                      key={h.key}
                      id={`search-hit-${i}`}
                      role="option"
                      aria-selected={i === active}
                      onMouseDown={(e) => e.preventDefault()}
                      onClick={() => go(h)}
                      onMouseEnter={() => setActive(i)}
                      className={`flex cursor-pointer items-baseline justify-between gap-3 px-3 py-1 ${i === active ? "bg-accent-50" : ""}`}
                    >
                      <span className={h.group === "Switches" ? "font-mono text-xs" : "font-medium"}>{h.title}</span>
                      <span className="truncate text-xs text-slate-500">{h.detail}</span>
                    </div>
                  ))}
                </div>
              );
            })
          )}
        </div>
      )}
    </div>
  );
}
