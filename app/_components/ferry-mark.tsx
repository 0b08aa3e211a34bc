/** Ferry's mark: a hull carrying a packet between two shores. */
export function FerryMark({ className }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true">
      <rect width="32" height="32" rx="7" fill="#2f7de1" />
      <path d="M6 19h20l-3 5H9z" fill="#fff" />
      <rect x="12" y="11" width="8" height="6" rx="1" fill="#d9eaff" />
      <path d="M4 27c3 0 3-1.5 6-1.5s3 1.5 6 1.5 3-1.5 6-1.5 3 1.5 6 1.5" stroke="#d9eaff" strokeWidth="1.5" fill="none" />
    </svg>
  );
}
