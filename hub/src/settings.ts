// The hub's settings and where they live (the extension data service inside Azure DevOps,
// localStorage standalone: both behind SettingsStore).
import type { SettingsStore } from './sdk.ts';

export interface HubSettings {
  /** The function app's URL, e.g. https://release-agent.azurewebsites.net. */
  functionAppUrl?: string;
  /** Base of Jira links when the function app's status does not say. */
  jiraBaseUrl?: string;
}

const KEYS = { functionAppUrl: 'functionAppUrl', jiraBaseUrl: 'jiraBaseUrl' } as const;

export async function readSettings(store: SettingsStore): Promise<HubSettings> {
  const [functionAppUrl, jiraBaseUrl] = await Promise.all([
    store.getValue<string>(KEYS.functionAppUrl),
    store.getValue<string>(KEYS.jiraBaseUrl),
  ]);
  const settings: HubSettings = {};
  if (typeof functionAppUrl === 'string' && functionAppUrl) settings.functionAppUrl = functionAppUrl;
  if (typeof jiraBaseUrl === 'string' && jiraBaseUrl) settings.jiraBaseUrl = jiraBaseUrl;
  return settings;
}

export async function writeSettings(store: SettingsStore, settings: HubSettings): Promise<void> {
  await store.setValue(KEYS.functionAppUrl, settings.functionAppUrl ?? '');
  await store.setValue(KEYS.jiraBaseUrl, settings.jiraBaseUrl ?? '');
}
