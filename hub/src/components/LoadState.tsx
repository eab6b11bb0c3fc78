// The loading, error and empty states every tab shares.
import { MessageCard, MessageCardSeverity } from 'azure-devops-ui/MessageCard.js';
import { Spinner, SpinnerSize } from 'azure-devops-ui/Spinner.js';
import { ZeroData } from 'azure-devops-ui/ZeroData.js';
import * as React from 'react';
import { ApiError } from '../api.ts';
import { useHub } from './hub-context.ts';
import type { Load } from './use-load.ts';

/** A sentence for people: the API's own message, never a stack. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'the page hit an unexpected problem: reload it, and report it if it stays';
}

export function Loading(props: { label: string }): React.ReactElement {
  return (
    <div className="ra-loading flex-row justify-center">
      <Spinner size={SpinnerSize.large} label={props.label} />
    </div>
  );
}

/** An error as a message card, with the way out: Settings for connection problems, Retry always. */
export function ErrorNotice(props: { error: unknown; onRetry?: () => void }): React.ReactElement {
  const { openTab } = useHub();
  const error = props.error;
  const connection =
    error instanceof ApiError && ['not_configured', 'unreachable', 'unauthorized'].includes(error.kind);
  const buttons = [
    ...(connection ? [{ text: 'Open Settings', onClick: () => openTab('settings') }] : []),
    ...(props.onRetry ? [{ text: 'Retry', onClick: props.onRetry }] : []),
  ];
  const notConfigured = error instanceof ApiError && error.kind === 'not_configured';
  return (
    <MessageCard
      className="ra-notice"
      severity={notConfigured ? MessageCardSeverity.Info : MessageCardSeverity.Error}
      buttonProps={buttons}
    >
      {errorText(error)}
    </MessageCard>
  );
}

export function EmptyState(props: { title: string; detail: string; icon: string }): React.ReactElement {
  return (
    <ZeroData
      className="ra-empty"
      primaryText={props.title}
      secondaryText={props.detail}
      imageAltText=""
      iconProps={{ iconName: props.icon }}
    />
  );
}

/** Renders a Load: spinner, error notice, or the children with the data. */
export function LoadView<T>(props: {
  load: Load<T>;
  label: string;
  onRetry: () => void;
  children: (data: T) => React.ReactNode;
}): React.ReactElement {
  const { load } = props;
  if (load.state === 'loading') return <Loading label={props.label} />;
  if (load.state === 'failed') return <ErrorNotice error={load.error} onRetry={props.onRetry} />;
  return <>{props.children(load.data)}</>;
}
