import { Shell } from "../_components/shell";

// Every page in this group is behind the server's sign-in gate (server/http/server.ts).
export default function ConsoleLayout({ children }: { children: React.ReactNode }) {
  return <Shell>{children}</Shell>;
}
