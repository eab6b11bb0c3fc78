// The stand-in host for development and the sandbox: the app token from `?token=` or the page
// server's `window.__RELEASE_AGENT_HUB__`, settings in localStorage, and a theme switch.
import type { HostContext, HubSdk, SettingsStore, StandaloneConfig, ThemeName } from './sdk.ts';
import { applyTheme } from './theme.ts';

const SETTINGS_PREFIX = 'release-agent-hub:';
const THEME_KEY = `${SETTINGS_PREFIX}theme`;

export function createStandaloneSdk(win: Window): HubSdk {
  const config: StandaloneConfig = win.__RELEASE_AGENT_HUB__ ?? {};
  const query = new URLSearchParams(win.location.search);
  const storage = win.localStorage;
  let theme: ThemeName = readTheme(query.get('theme') ?? storage.getItem(THEME_KEY));

  return {
    init: async () => {
      applyTheme(win.document, theme);
    },
    notifyLoaded: () => undefined,
    notifyLoadFailed: () => undefined,
    getAppToken: async () => query.get('token') ?? config.token ?? '',
    getHostContext: (): HostContext => {
      const context: HostContext = { hostName: config.hostName ?? 'sandbox', standalone: true };
      if (config.projectName) context.projectName = config.projectName;
      if (config.userName) context.userName = config.userName;
      if (config.projectUrl) context.projectUrl = config.projectUrl.replace(/\/+$/, '');
      return context;
    },
    getExtensionDataManager: async (): Promise<SettingsStore> => ({
      getValue: async <T>(key: string) => {
        const text = storage.getItem(SETTINGS_PREFIX + key);
        return text === null ? undefined : (JSON.parse(text) as T);
      },
      setValue: async <T>(key: string, value: T) => {
        storage.setItem(SETTINGS_PREFIX + key, JSON.stringify(value));
      },
    }),
    defaultApiUrl: () => query.get('api') ?? config.apiUrl,
    theme: {
      current: () => theme,
      set: (next) => {
        theme = next;
        storage.setItem(THEME_KEY, next);
        applyTheme(win.document, next);
      },
    },
  };
}

function readTheme(value: string | null): ThemeName {
  return value === 'dark' ? 'dark' : 'light';
}
