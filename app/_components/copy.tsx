"use client";
import { useState } from "react";

/** An identifier in monospace that copies itself on click. */
export function Mono({ value, className = "" }: { value: string; className?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      title={copied ? "Copied" : "Click to copy"}
      onClick={(e) => {
        e.stopPropagation();
        e.preventDefault();
        void navigator.clipboard?.writeText(value).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1200);
        });
      }}
      className={`font-mono text-xs hover:text-accent-700 ${copied ? "text-emerald-700" : ""} ${className}`}
    >
      {value}
    </button>
  );
}
