import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { ImageCatalogue } from "./image-catalogue";

export const metadata: Metadata = { title: "Images" };

export default function ImagesPage() {
  return (
    <>
      <PageHeader title="Images" description="The image catalogue: kernel + initrd pairs on shared storage that instances boot from." />
      <ImageCatalogue />
    </>
  );
}
