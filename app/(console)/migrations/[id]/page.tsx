import type { Metadata } from "next";
import { MigrationView } from "./migration-view";

export const metadata: Metadata = { title: "Migration" };

export default async function MigrationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <MigrationView id={id} />;
}
