"use client";
import { useState } from "react";
import { useSearchParams } from "next/navigation";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "../trpc";

/** Only same-site paths are followed after sign-in (no open redirects). */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/";
}

export function LoginForm() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      // A full navigation so the server-side gate sees the new cookie.
      onSuccess: () => window.location.assign(safeNext(params.get("next"))),
    }),
  );

  return (
    <form
      className="rounded-lg bg-white p-6 shadow-xl"
      onSubmit={(e) => {
        e.preventDefault();
        login.mutate({ username, password });
      }}
    >
      <h1 className="mb-4 text-base font-semibold text-slate-800">Sign in</h1>
      <label className="mb-1 block text-xs font-medium text-slate-600" htmlFor="username">
        Username
      </label>
      <input
        id="username"
        name="username"
        autoComplete="username"
        autoFocus
        required
        value={username}
        onChange={(e) => setUsername(e.target.value)}
        className="mb-3 w-full rounded border border-slate-300 px-3 py-2 text-sm focus:border-accent-500 focus:outline-none"
      />
      <label className="mb-1 block text-xs font-medium text-slate-600" htmlFor="password">
        Password
      </label>
      <input
        id="password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        className="mb-4 w-full rounded border border-slate-300 px-3 py-2 text-sm focus:border-accent-500 focus:outline-none"
      />
      {login.error && (
        <p role="alert" className="mb-3 rounded border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700">
          {login.error.message}
        </p>
      )}
      <button
        type="submit"
        disabled={login.isPending}
        className="w-full rounded bg-accent-600 px-3 py-2 text-sm font-medium text-white hover:bg-accent-700 disabled:opacity-60"
      >
        {login.isPending ? "Signing in…" : "Sign in"}
      </button>
      <p className="mt-4 text-xs leading-relaxed text-slate-500">
        On first start the server prints the <span className="font-mono">admin</span> password once in its log.
      </p>
    </form>
  );
}
