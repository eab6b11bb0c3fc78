// The real host: azure-devops-extension-sdk v5. The host applies its theme (CSS variables) itself.
import * as SDK from 'azure-devops-extension-sdk';
import type { HostContext, HubSdk, SettingsStore } from './sdk.ts';

// The extension data service (azure-devops-extension-api's IExtensionDataService, which we do not
// bundle): only the two calls Settings needs.
const EXTENSION_DATA_SERVICE = 'ms.vss-features.extension-data-service';

interface ExtensionDataManager {
  getValue<T>(key: string, options?: { scopeType?: string; defaultValue?: T }): Promise<T>;
  setValue<T>(key: string, value: T, options?: { scopeType?: string }): Promise<T>;
}

interface ExtensionDataService {
  getExtensionDataManager(extensionId: string, accessToken: string): Promise<ExtensionDataManager>;
}

// Settings are shared by everyone in the organization (the function app is one per organization).
const SCOPE = { scopeType: 'Default' };

export function createAzureDevOpsSdk(): HubSdk {
  return {
    init: () => SDK.init({ loaded: false, applyTheme: true }),
    notifyLoaded: () => void SDK.notifyLoadSucceeded(),
    notifyLoadFailed: (message) => void SDK.notifyLoadFailed(message),
    getAppToken: () => SDK.getAppToken(),
    getHostContext: (): HostContext => {
      const host = SDK.getHost();
      const project = SDK.getWebContext()?.project;
      const user = SDK.getUser();
      const context: HostContext = { hostName: host.name, standalone: false };
      if (project?.name) context.projectName = project.name;
      if (user?.displayName) context.userName = user.displayName;
      // Links into Azure DevOps Services; on-premises servers have other URLs and get plain text.
      if (host.isHosted && project?.name) {
        context.projectUrl = `https://dev.azure.com/${encodeURIComponent(host.name)}/${encodeURIComponent(project.name)}`;
      }
      return context;
    },
    getExtensionDataManager: async (): Promise<SettingsStore> => {
      const [service, accessToken] = await Promise.all([
        SDK.getService<ExtensionDataService>(EXTENSION_DATA_SERVICE),
        SDK.getAccessToken(),
      ]);
      const manager = await service.getExtensionDataManager(SDK.getExtensionContext().id, accessToken);
      return {
        getValue: async <T>(key: string) => {
          const value = await manager.getValue<T | undefined>(key, { ...SCOPE, defaultValue: undefined });
          return value ?? undefined;
        },
        setValue: async <T>(key: string, value: T) => {
          await manager.setValue(key, value, SCOPE);
        },
      };
    },
    defaultApiUrl: () => undefined,
  };
}
