import type { Metadata } from "next";
import { Suspense } from "react";
import { LoginForm } from "./login-form";
import { FerryMark } from "../_components/ferry-mark";

export const metadata: Metadata = { title: "Sign in" };

export default function LoginPage() {
  return (
    <main className="flex min-h-full items-center justify-center bg-slate-900 px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-3 text-white">
          <FerryMark className="h-9 w-9" />
          <div>
            <div className="text-xl font-semibold tracking-tight">Ferry</div>
            <div className="text-xs text-slate-400">Live migration across subnets</div>
          </div>
        </div>
        <Suspense>
          <LoginForm />
        </Suspense>
      </div>
    </main>
  );
}
