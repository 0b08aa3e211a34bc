"use client";
// A modal yes/no for actions that start, stop or remove something. Esc or Cancel backs out. The
// keyboard starts on the confirm button, or on Cancel when the action cannot be undone.
import { useEffect, useRef, type ReactNode } from "react";

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger = false,
  busy = false,
  error,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!ref.current?.open) ref.current?.showModal();
    // showModal() focuses the first control (Cancel); React's autoFocus fires before the dialog opens.
    (danger ? cancelRef : confirmRef).current?.focus();
  }, [danger]);
  return (
    <dialog ref={ref} onClose={onClose} className="m-auto w-[28rem] rounded-lg p-0 shadow-2xl backdrop:bg-slate-900/40" aria-labelledby="confirm-title">
      <form
        className="p-5"
        onSubmit={(e) => {
          e.preventDefault();
          onConfirm();
        }}
      >
        <h2 id="confirm-title" className="text-base font-semibold">
          {title}
        </h2>
        <div className="mt-2 text-sm text-slate-600">{children}</div>
        {error && (
          <p role="alert" className="mt-3 rounded border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700">
            {error}
          </p>
        )}
        <div className="mt-5 flex justify-end gap-2">
          <button ref={cancelRef} type="button" onClick={() => ref.current?.close()} className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100">
            Cancel
          </button>
          <button
            ref={confirmRef}
            type="submit"
            disabled={busy}
            className={`rounded px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50 ${danger ? "bg-red-600 hover:bg-red-700" : "bg-accent-600 hover:bg-accent-700"}`}
          >
            {busy ? "Working…" : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
