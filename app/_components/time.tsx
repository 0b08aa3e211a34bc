"use client";
import { useEffect, useState } from "react";

export function relative(from: Date, now: number): string {
  const s = Math.round((now - from.getTime()) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** "3 s ago", refreshed every few seconds, with the absolute time on hover. */
export function RelativeTime({ at }: { at: Date }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(t);
  }, []);
  return (
    <time dateTime={at.toISOString()} title={at.toLocaleString()} suppressHydrationWarning>
      {relative(at, now)}
    </time>
  );
}
