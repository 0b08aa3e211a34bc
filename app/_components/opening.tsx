"use client";
// A page that starts something with its own page (a migration) shows that page's view at once,
// from the state the start returned, while the navigation to it is still on its way.
import { createContext, useContext } from "react";

export const OpenMigrationContext = createContext<(id: string) => void>(() => {});

/** Shows the migration's view in the main area until the navigation to its page arrives. */
export function useOpenMigration(): (id: string) => void {
  return useContext(OpenMigrationContext);
}
