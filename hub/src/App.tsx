// The hub page: a header, five tabs, and the API client built from Settings and the app token.
import type { IHeaderCommandBarItem } from 'azure-devops-ui/HeaderCommandBar.js';
import {
  CustomHeader,
  HeaderDescription,
  HeaderTitle,
  HeaderTitleArea,
  HeaderTitleRow,
  TitleSize,
} from 'azure-devops-ui/Header.js';
import { HeaderCommandBar } from 'azure-devops-ui/HeaderCommandBar.js';
import { Page } from 'azure-devops-ui/Page.js';
import { Surface, SurfaceBackground } from 'azure-devops-ui/Surface.js';
import { Tab, TabBar, TabSize } from 'azure-devops-ui/Tabs.js';
import * as React from 'react';
import { isCallerStatus } from '../../core/views.ts';
import { createHubApi, normalizeBaseUrl } from './api.ts';
import { DecisionsTab } from './components/DecisionsTab.tsx';
import { HistoryTab } from './components/HistoryTab.tsx';
import { HubContext, type HubContextValue, type TabId } from './components/hub-context.ts';
import { ReleasesTab } from './components/ReleasesTab.tsx';
import { ReviewsTab } from './components/ReviewsTab.tsx';
import { SettingsTab } from './components/SettingsTab.tsx';
import type { HubSdk, SettingsStore, ThemeName } from './sdk.ts';
import { type HubSettings, writeSettings } from './settings.ts';

const TABS: readonly { id: TabId; name: string }[] = [
  { id: 'releases', name: 'Releases' },
  { id: 'history', name: 'History' },
  { id: 'decisions', name: 'Decisions' },
  { id: 'reviews', name: 'Reviews' },
  { id: 'settings', name: 'Settings' },
];

function tabFromHash(hash: string): TabId {
  const id = hash.replace(/^#/, '');
  return TABS.find((tab) => tab.id === id)?.id ?? 'releases';
}

export interface AppProps {
  sdk: HubSdk;
  store: SettingsStore;
  initialSettings: HubSettings;
}

export function App(props: AppProps): React.ReactElement {
  const { sdk, store } = props;
  const host = React.useMemo(() => sdk.getHostContext(), [sdk]);
  const [settings, setSettings] = React.useState(props.initialSettings);
  const [tab, setTab] = React.useState<TabId>(() => tabFromHash(window.location.hash));
  const [statusJira, setStatusJira] = React.useState<string | undefined>();
  const [theme, setTheme] = React.useState<ThemeName | undefined>(() => sdk.theme?.current());

  const baseUrl = settings.functionAppUrl ?? sdk.defaultApiUrl();
  const api = React.useMemo(
    () => createHubApi({ baseUrl, getToken: () => sdk.getAppToken() }),
    [baseUrl, sdk],
  );

  // The Jira site for links, from the function app when Settings does not name one.
  React.useEffect(() => {
    let current = true;
    setStatusJira(undefined);
    api.status().then(
      (status) => current && setStatusJira((isCallerStatus(status) && status.jiraBaseUrl) || undefined),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [api]);

  // Back/forward and links that change the hash pick the tab too.
  React.useEffect(() => {
    const onHashChange = () => setTab(tabFromHash(window.location.hash));
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  const openTab = React.useCallback((next: TabId) => {
    setTab(next);
    window.history.replaceState(null, '', `#${next}`);
  }, []);

  const context = React.useMemo<HubContextValue>(
    () => ({ api, host, jiraBaseUrl: settings.jiraBaseUrl ?? statusJira, openTab }),
    [api, host, settings.jiraBaseUrl, statusJira, openTab],
  );

  const commands: IHeaderCommandBarItem[] = [];
  if (sdk.theme && theme) {
    const next: ThemeName = theme === 'dark' ? 'light' : 'dark';
    commands.push({
      id: 'theme',
      text: next === 'dark' ? 'Dark theme' : 'Light theme',
      iconProps: { iconName: 'Color' },
      important: true,
      onActivate: () => {
        sdk.theme?.set(next);
        setTheme(next);
      },
    });
  }

  const where = [host.hostName, host.projectName].filter(Boolean).join(' / ');
  return (
    <HubContext.Provider value={context}>
      <Surface background={SurfaceBackground.neutral}>
        <Page className="ra-page flex-grow">
          <CustomHeader className="bolt-header-with-commandbar">
            <HeaderTitleArea>
              <HeaderTitleRow>
                <HeaderTitle titleSize={TitleSize.Large} ariaLevel={1}>
                  Release Agent
                </HeaderTitle>
              </HeaderTitleRow>
              <HeaderDescription>{`${where} · function app: ${normalizeBaseUrl(baseUrl) ?? 'not set'}`}</HeaderDescription>
            </HeaderTitleArea>
            {commands.length > 0 ? <HeaderCommandBar items={commands} /> : null}
          </CustomHeader>
          <TabBar
            selectedTabId={tab}
            onSelectedTabChanged={(id) => openTab(id as TabId)}
            tabSize={TabSize.Tall}
          >
            {TABS.map((item) => (
              <Tab key={item.id} id={item.id} name={item.name} />
            ))}
          </TabBar>
          <div className="page-content page-content-top ra-content">
            <TabContent
              tab={tab}
              settings={settings}
              sdk={sdk}
              onSave={async (next) => {
                await writeSettings(store, next);
                setSettings(next);
              }}
            />
          </div>
        </Page>
      </Surface>
    </HubContext.Provider>
  );
}

function TabContent(props: {
  tab: TabId;
  settings: HubSettings;
  sdk: HubSdk;
  onSave: (settings: HubSettings) => Promise<void>;
}): React.ReactElement {
  switch (props.tab) {
    case 'releases':
      return <ReleasesTab />;
    case 'history':
      return <HistoryTab />;
    case 'decisions':
      return <DecisionsTab />;
    case 'reviews':
      return <ReviewsTab />;
    case 'settings':
      return (
        <SettingsTab
          settings={props.settings}
          defaultUrl={props.sdk.defaultApiUrl()}
          standalone={props.sdk.getHostContext().standalone}
          onSave={props.onSave}
          testConnection={(url) =>
            createHubApi({ baseUrl: url, getToken: () => props.sdk.getAppToken() }).status()
          }
        />
      );
  }
}
