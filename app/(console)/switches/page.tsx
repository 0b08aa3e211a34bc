import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { SwitchList } from "./switch-list";

export const metadata: Metadata = { title: "Switches" };

export default function SwitchesPage() {
  return (
    <>
      <PageHeader title="Switches" description="Open vSwitch bridges connected to the embedded OpenFlow controller." />
      <SwitchList />
    </>
  );
}
