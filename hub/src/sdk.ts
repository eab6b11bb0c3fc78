// The SDK facade: what the page needs from its host, whoever the host is. Inside Azure DevOps it is
// azure-devops-extension-sdk (sdk-azure-devops.ts); for development and the sandbox it is a small
// stand-in (sdk-standalone.ts). HUB_SDK is a build-time constant, so the bundle carries only one.

export type ThemeName = 'light' | 'dark';

/** Who and where: what the page shows in its header and uses for links. */
export interface HostContext {
  /** The organization (collection) name, or "sandbox". */
  hostName: string;
  projectName?: string;
  userName?: string;
  /** Base of Azure DevOps links, e.g. https://dev.azure.com/acme/Payments (no trailing slash). */
  projectUrl?: string;
  standalone: boolean;
}

/** Settings storage: the extension data service inside Azure DevOps, localStorage standalone. */
export interface SettingsStore {
  getValue<T>(key: string): Promise<T | undefined>;
  setValue<T>(key: string, value: T): Promise<void>;
}

/** Theme control: only the stand-in has one (inside Azure DevOps the host applies its theme). */
export interface ThemeControl {
  current(): ThemeName;
  set(theme: ThemeName): void;
}

export interface HubSdk {
  init(): Promise<void>;
  /** Tells the host the page is ready (ends its loading indicator). */
  notifyLoaded(): void;
  notifyLoadFailed(message: string): void;
  /** The token the function app verifies (HS256 JWT from the Marketplace certificate). */
  getAppToken(): Promise<string>;
  getHostContext(): HostContext;
  getExtensionDataManager(): Promise<SettingsStore>;
  /** The function app URL to use when none was saved in Settings. */
  defaultApiUrl(): string | undefined;
  theme?: ThemeControl;
}

/** What the page server injects as `window.__RELEASE_AGENT_HUB__` for the standalone page. */
export interface StandaloneConfig {
  apiUrl?: string;
  token?: string;
  hostName?: string;
  projectName?: string;
  projectUrl?: string;
  userName?: string;
}

/** The SDK this build was made for. */
export async function loadSdk(): Promise<HubSdk> {
  if (HUB_SDK === 'standalone') {
    const { createStandaloneSdk } = await import('./sdk-standalone.ts');
    return createStandaloneSdk(window);
  } else {
    const { createAzureDevOpsSdk } = await import('./sdk-azure-devops.ts');
    return createAzureDevOpsSdk();
  }
}
