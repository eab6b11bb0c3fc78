// Settings: the function app URL (stored for the whole organization), the Jira site for links, and a
// connection test that calls GET /api/status with the app token.
import { Button } from 'azure-devops-ui/Button.js';
import { ButtonGroup } from 'azure-devops-ui/ButtonGroup.js';
import { Card } from 'azure-devops-ui/Card.js';
import { FormItem } from 'azure-devops-ui/FormItem.js';
import { MessageCard, MessageCardSeverity } from 'azure-devops-ui/MessageCard.js';
import { TextField, TextFieldWidth } from 'azure-devops-ui/TextField.js';
import * as React from 'react';
import { isCallerStatus } from '../../../core/views.ts';
import { normalizeBaseUrl, type StatusResponse } from '../api.ts';
import type { HubSettings } from '../settings.ts';
import { errorText } from './LoadState.tsx';

export interface SettingsTabProps {
  settings: HubSettings;
  /** The URL used when none is saved (standalone: the page server's). */
  defaultUrl: string | undefined;
  standalone: boolean;
  onSave(settings: HubSettings): Promise<void>;
  testConnection(url: string): Promise<StatusResponse>;
}

interface Outcome {
  severity: MessageCardSeverity;
  text: string;
}

export function SettingsTab(props: SettingsTabProps): React.ReactElement {
  const [url, setUrl] = React.useState(props.settings.functionAppUrl ?? props.defaultUrl ?? '');
  const [jira, setJira] = React.useState(props.settings.jiraBaseUrl ?? '');
  const [busy, setBusy] = React.useState(false);
  const [outcome, setOutcome] = React.useState<Outcome | undefined>();
  const urlError =
    url.trim() && !normalizeBaseUrl(url)
      ? 'an http(s) URL, e.g. https://release-agent.azurewebsites.net'
      : undefined;
  const jiraError =
    jira.trim() && !normalizeBaseUrl(jira)
      ? 'an http(s) URL, e.g. https://your-site.atlassian.net'
      : undefined;

  const run = async (work: () => Promise<Outcome>) => {
    setBusy(true);
    try {
      setOutcome(await work());
    } catch (error) {
      setOutcome({ severity: MessageCardSeverity.Error, text: errorText(error) });
    } finally {
      setBusy(false);
    }
  };

  const save = () =>
    run(async () => {
      const next: HubSettings = {};
      const functionAppUrl = normalizeBaseUrl(url);
      const jiraBaseUrl = normalizeBaseUrl(jira);
      if (functionAppUrl) next.functionAppUrl = functionAppUrl;
      if (jiraBaseUrl) next.jiraBaseUrl = jiraBaseUrl;
      await props.onSave(next);
      return {
        severity: MessageCardSeverity.Info,
        text: `Saved: the hub now uses ${functionAppUrl ?? 'no function app'}.`,
      };
    });

  const test = () =>
    run(async () => {
      const target = normalizeBaseUrl(url);
      if (!target) return { severity: MessageCardSeverity.Error, text: 'Enter the function app URL first.' };
      const status = await props.testConnection(target);
      const found = isCallerStatus(status) ? status.problems : [];
      const problems = found.length > 0 ? `; problems: ${found.join('; ')}` : '';
      return {
        severity: status.status === 'ok' ? MessageCardSeverity.Info : MessageCardSeverity.Warning,
        text: `Connected to ${target}: status ${status.status}${problems}`,
      };
    });

  return (
    <Card className="ra-settings-card" titleProps={{ text: 'Function app', ariaLevel: 2 }}>
      <div className="flex-column rhythm-vertical-16 full-width">
        <FormItem label="Function app URL" message={urlError} error={Boolean(urlError)}>
          <TextField
            inputId="ra-function-app-url"
            ariaLabel="Function app URL"
            value={url}
            onChange={(_event, value) => setUrl(value)}
            placeholder="https://release-agent.azurewebsites.net"
            width={TextFieldWidth.auto}
          />
        </FormItem>
        <FormItem
          label="Jira site URL (for ticket links; optional)"
          message={jiraError}
          error={Boolean(jiraError)}
        >
          <TextField
            inputId="ra-jira-url"
            ariaLabel="Jira site URL"
            value={jira}
            onChange={(_event, value) => setJira(value)}
            placeholder="taken from the function app when empty"
            width={TextFieldWidth.auto}
          />
        </FormItem>
        <div className="secondary-text">
          {props.standalone
            ? 'Standalone page: settings are kept in this browser.'
            : 'Kept in the extension data service, shared by everyone in this organization. The function app must allow this page’s origin (CORS).'}
        </div>
        <ButtonGroup>
          <Button
            text="Save"
            primary
            disabled={busy || Boolean(urlError) || Boolean(jiraError)}
            onClick={() => void save()}
          />
          <Button text="Test connection" disabled={busy || Boolean(urlError)} onClick={() => void test()} />
        </ButtonGroup>
        {outcome ? (
          <MessageCard
            className="ra-settings-outcome"
            severity={outcome.severity}
            onDismiss={() => setOutcome(undefined)}
          >
            {outcome.text}
          </MessageCard>
        ) : null}
      </div>
    </Card>
  );
}
