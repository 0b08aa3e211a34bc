import type { Metadata } from "next";
import { SwitchDetail } from "./switch-detail";

export const metadata: Metadata = { title: "Switch" };

export default async function SwitchPage({ params }: { params: Promise<{ dpid: string }> }) {
  const { dpid } = await params;
  return <SwitchDetail dpid={dpid} />;
}
