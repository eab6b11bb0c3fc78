// Build-time constants and browser globals of the hub page.

/** Which SDK the bundle talks to, fixed by esbuild's `define` (scripts/build.ts buildHub). */
declare const HUB_SDK: 'azure-devops' | 'standalone';

/** Style sheets are bundled by esbuild into hub.css. */
declare module '*.css';

interface Window {
  /** Injected by the standalone page server (sandbox/hub-server.ts). */
  __RELEASE_AGENT_HUB__?: import('./sdk.ts').StandaloneConfig;
}
