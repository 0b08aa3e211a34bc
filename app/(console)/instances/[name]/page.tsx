import type { Metadata } from "next";
import { VmDetail } from "./vm-detail";

export const metadata: Metadata = { title: "Instance" };

export default async function InstancePage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <VmDetail name={decodeURIComponent(name)} />;
}
