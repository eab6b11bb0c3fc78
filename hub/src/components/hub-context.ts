// What every tab needs: the API client, where links go, and how to jump to another tab.
import * as React from 'react';
import type { HubApi } from '../api.ts';
import type { HostContext } from '../sdk.ts';

export type TabId = 'releases' | 'history' | 'decisions' | 'reviews' | 'settings';

export interface HubContextValue {
  api: HubApi;
  host: HostContext;
  /** Base of Jira links: Settings, else what the function app's status says. */
  jiraBaseUrl: string | undefined;
  openTab(tab: TabId): void;
}

export const HubContext = React.createContext<HubContextValue | undefined>(undefined);

export function useHub(): HubContextValue {
  const value = React.useContext(HubContext);
  if (!value) throw new Error('HubContext is missing');
  return value;
}
