"use client";
// Register image: a name, the kernel and initrd already on shared storage, optionally a kernel
// command-line template. The server checks everything; its answers are shown beside the field
// they are about. A native modal <dialog>: focus starts in Name, Enter submits, Esc closes.
import { useEffect, useRef, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../trpc";

type Field = "name" | "description" | "kernel" | "initrd" | "cmdlineTemplate";
const FIELDS: Field[] = ["name", "description", "kernel", "initrd", "cmdlineTemplate"];
const PLACEHOLDERS = ["{ip}", "{prefix}", "{cidr}", "{gateway}", "{name}", "{mac}", "{fill_mb}", "{dirty_mbps}"];

/** Which field a plain-words server answer is about (the inventory prefixes them so). */
function fieldOf(message: string): Field | null {
  if (/^kernel: /.test(message)) return "kernel";
  if (/^initrd: /.test(message)) return "initrd";
  if (/^image name: |^an image named /.test(message)) return "name";
  if (/command line template|placeholder/.test(message)) return "cmdlineTemplate";
  return null;
}

export function RegisterImageDialog({ storagePaths, onClose }: { storagePaths: string[]; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const ref = useRef<HTMLDialogElement>(null);
  const images = useQuery(trpc.images.list.queryOptions());
  const [values, setValues] = useState<Record<Field, string>>({ name: "", description: "", kernel: "", initrd: "", cmdlineTemplate: "" });
  const [missing, setMissing] = useState<Partial<Record<Field, string>>>({});

  useEffect(() => {
    ref.current?.showModal();
  }, []);

  const register = useMutation(
    trpc.images.register.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.images.list.queryKey() });
        ref.current?.close();
      },
    }),
  );

  // Server answers, per field where one is named, else for the whole form.
  const fieldErrors: Partial<Record<Field, string>> = { ...missing };
  let formError: string | null = null;
  const err = register.error;
  if (err) {
    const issues = err.data?.zodIssues;
    if (issues?.length) {
      for (const i of issues) {
        const f = i.path[0] as Field | undefined;
        if (f && FIELDS.includes(f)) fieldErrors[f] ??= i.message;
        else formError = i.message;
      }
    } else {
      const f = fieldOf(err.message);
      if (f) fieldErrors[f] = err.message.replace(/^(kernel|initrd|image name): /, "");
      else formError = err.message;
    }
  }
  const labTemplate = images.data?.find((i) => i.source === "lab")?.cmdlineTemplate;
  const example = storagePaths[0] ?? "/srv/images";

  const set = (f: Field) => (e: React.ChangeEvent<HTMLInputElement>) => setValues((v) => ({ ...v, [f]: e.target.value }));
  const input = (f: Field, extra: React.InputHTMLAttributes<HTMLInputElement> & { hint?: string }) => {
    const { hint, className = "", ...rest } = extra;
    const describedBy = fieldErrors[f] ? `img-${f}-error` : hint ? `img-${f}-hint` : undefined;
    return (
      <>
        <input
          id={`img-${f}`}
          value={values[f]}
          onChange={set(f)}
          aria-invalid={fieldErrors[f] ? true : undefined}
          aria-describedby={describedBy}
          {...rest}
          className={`rounded border px-2 py-1 ${fieldErrors[f] ? "border-red-400 bg-red-50/40" : "border-slate-300"} ${className}`}
        />
        {fieldErrors[f] && (
          <span id={`img-${f}-error`} className="text-xs text-red-700" data-testid={`error-${f}`}>
            {fieldErrors[f]}
          </span>
        )}
        {hint && !fieldErrors[f] && (
          <span id={`img-${f}-hint`} className="text-xs text-slate-500">
            {hint}
          </span>
        )}
      </>
    );
  };

  return (
    <dialog ref={ref} onClose={onClose} className="m-auto w-[38rem] max-w-[95vw] rounded-lg p-0 shadow-2xl backdrop:bg-slate-900/40" aria-labelledby="register-title">
      <form
        noValidate
        className="max-h-[90vh] overflow-y-auto p-5"
        onSubmit={(e) => {
          e.preventDefault();
          const need: Partial<Record<Field, string>> = {};
          for (const f of ["name", "kernel", "initrd"] as const) if (!values[f].trim()) need[f] = "required";
          setMissing(need);
          if (Object.keys(need).length) return;
          register.reset();
          register.mutate({
            name: values.name.trim(),
            kernel: values.kernel.trim(),
            initrd: values.initrd.trim(),
            ...(values.description.trim() ? { description: values.description.trim() } : {}),
            ...(values.cmdlineTemplate.trim() ? { cmdlineTemplate: values.cmdlineTemplate.trim() } : {}),
          });
        }}
      >
        <h2 id="register-title" className="text-base font-semibold">
          Register image
        </h2>
        <div className="mt-2 space-y-1.5 text-sm text-slate-600" data-testid="register-help">
          <p>An image is a Linux kernel and an initramfs that the hosts boot directly (no disk image). Copy both files to shared storage first: a directory every host sees under the same path.</p>
          {storagePaths.length > 0 ? (
            <p>
              The hosts report:{" "}
              {storagePaths.map((p, k) => (
                <span key={p}>
                  {k > 0 && ", "}
                  <span className="break-all font-mono text-xs text-slate-800">{p}</span>
                </span>
              ))}
              .
            </p>
          ) : (
            <p className="text-amber-800">No host reports a storage path right now, so no file can be checked (are the hosts up?).</p>
          )}
          <p>Ferry checks that each path is an existing regular file there and records the size; the files are not copied.</p>
        </div>

        <div className="mt-4 grid gap-3 text-sm">
          <div className="flex flex-col gap-1">
            <label htmlFor="img-name">Name</label>
            {input("name", { autoFocus: true, placeholder: "e.g. debian-tiny", className: "font-mono", hint: "1–63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit." })}
          </div>
          <div className="flex flex-col gap-1">
            <label htmlFor="img-description">Description (optional)</label>
            {input("description", { maxLength: 200 })}
          </div>
          <div className="flex flex-col gap-1">
            <label htmlFor="img-kernel">Kernel path</label>
            {input("kernel", { placeholder: `${example}/vmlinuz`, spellCheck: false, hint: "Absolute path, no spaces, commas, quotes or backslashes." })}
          </div>
          <div className="flex flex-col gap-1">
            <label htmlFor="img-initrd">Initrd path</label>
            {input("initrd", { placeholder: `${example}/initrd.img`, spellCheck: false })}
          </div>
          <details open={Boolean(fieldErrors.cmdlineTemplate) || undefined}>
            <summary className="cursor-pointer text-slate-700">Advanced: kernel command line</summary>
            <div className="mt-2 flex flex-col gap-1">
              <label htmlFor="img-cmdlineTemplate">Command line template</label>
              {input("cmdlineTemplate", { placeholder: labTemplate ?? "the lab guest's command line", spellCheck: false, className: "font-mono text-xs" })}
              <span className="text-xs text-slate-500">
                Empty: the lab guest&apos;s command line (images built from its recipe take the same options). Filled in for each new instance: {PLACEHOLDERS.join(" ")}.
              </span>
            </div>
          </details>
        </div>

        {formError && (
          <p role="alert" className="mt-3 rounded border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700">
            {formError}
          </p>
        )}
        {err && !formError && (
          <p role="alert" className="mt-3 text-sm text-red-700">
            Not registered: see the marked field{Object.keys(fieldErrors).length > 1 ? "s" : ""}.
          </p>
        )}
        <div className="mt-5 flex justify-end gap-2">
          <button type="button" onClick={() => ref.current?.close()} className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100">
            Cancel
          </button>
          <button type="submit" disabled={register.isPending} className="rounded bg-accent-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-accent-700 disabled:opacity-50">
            {register.isPending ? "Checking…" : "Register"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
