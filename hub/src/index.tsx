// The hub's entry: start the SDK (or its stand-in), read Settings, render the page.
import 'azure-devops-ui/Core/override.css';
import './hub.css';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import { App } from './App.tsx';
import { loadSdk, type SettingsStore } from './sdk.ts';
import { type HubSettings, readSettings } from './settings.ts';

const INIT_TIMEOUT_MS = 15_000;

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function showFatal(root: HTMLElement, message: string): void {
  const box = document.createElement('div');
  box.className = 'ra-fatal';
  box.setAttribute('role', 'alert');
  box.textContent = message;
  root.replaceChildren(box);
}

async function main(): Promise<void> {
  const root = document.getElementById('root');
  if (!root) return;
  let sdk: Awaited<ReturnType<typeof loadSdk>> | undefined;
  try {
    sdk = await loadSdk();
    await withTimeout(
      sdk.init(),
      INIT_TIMEOUT_MS,
      'The Release Agent hub did not get an answer from Azure DevOps: it runs inside Azure DevOps (or, for development, as the standalone page).',
    );
  } catch (error) {
    showFatal(root, error instanceof Error ? error.message : 'The Release Agent hub could not start.');
    sdk?.notifyLoadFailed('the hub could not start');
    return;
  }
  let store: SettingsStore;
  try {
    store = await sdk.getExtensionDataManager();
  } catch {
    showFatal(root, 'The Release Agent hub could not reach its settings in Azure DevOps: reload the page.');
    sdk.notifyLoadFailed('the extension data service did not answer');
    return;
  }
  // Unreadable settings are not fatal: the page opens and Settings can write them again.
  const settings: HubSettings = await readSettings(store).catch(() => ({}));
  const loadedSdk = sdk;
  ReactDOM.render(<App sdk={loadedSdk} store={store} initialSettings={settings} />, root, () =>
    loadedSdk.notifyLoaded(),
  );
}

void main();
