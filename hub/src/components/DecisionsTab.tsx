// Decisions: the pending gate questions, with the same buttons as the Slack card. A click here is the
// same single-shot decision as a Slack click (POST /api/approvals/{threadId}); the function app then
// updates the Slack card. The list is reloaded after every answer, whatever it was.
import { Button } from 'azure-devops-ui/Button.js';
import { ButtonGroup } from 'azure-devops-ui/ButtonGroup.js';
import { Card } from 'azure-devops-ui/Card.js';
import { Dialog } from 'azure-devops-ui/Dialog.js';
import { MessageCard, MessageCardSeverity } from 'azure-devops-ui/MessageCard.js';
import * as React from 'react';
import { GATE_ACTIONS, type GateButton, type GateSpec } from '../../../core/gates.ts';
import type { GateKind } from '../../../core/model.ts';
import { GATE_WORDING } from '../../../core/slack-cards.ts';
import { ApiError, alreadyDecidedText, type DecisionView } from '../api.ts';
import {
  branchName,
  formatCount,
  formatTime,
  formatUsd,
  MISSING,
  orMissing,
  shortCommit,
} from '../format.ts';
import { useHub } from './hub-context.ts';
import { PullRequestLink, TicketLink, UrlLink } from './Links.tsx';
import { EmptyState, errorText, LoadView } from './LoadState.tsx';
import { useLoad } from './use-load.ts';

interface Notice {
  severity: MessageCardSeverity;
  text: string;
}

export function DecisionsTab(): React.ReactElement {
  const { api } = useHub();
  const [load, reload] = useLoad(() => api.pendingDecisions(), [api]);
  const [notice, setNotice] = React.useState<Notice | undefined>();
  const onAnswered = React.useCallback(
    (result: Notice) => {
      setNotice(result);
      reload();
    },
    [reload],
  );
  return (
    <div className="flex-column rhythm-vertical-16">
      {notice ? (
        <MessageCard
          className="ra-decision-notice"
          severity={notice.severity}
          onDismiss={() => setNotice(undefined)}
        >
          {notice.text}
        </MessageCard>
      ) : null}
      <LoadView load={load} label="Loading pending decisions…" onRetry={reload}>
        {(decisions) =>
          decisions.length === 0 ? (
            <EmptyState
              icon="CheckMark"
              title="Nothing waits for a decision"
              detail="Gate questions appear here and in Slack."
            />
          ) : (
            <div className="ra-cards rhythm-vertical-16">
              {decisions.map((decision) => (
                <DecisionCard key={decision.id} decision={decision} onAnswered={onAnswered} />
              ))}
            </div>
          )
        }
      </LoadView>
    </div>
  );
}

interface Choice {
  button: GateButton;
  /** The API verb: the button's own label (merge, create, trigger, approve, cancel, skip). */
  action: string;
}

function DecisionCard(props: {
  decision: DecisionView;
  onAnswered: (notice: Notice) => void;
}): React.ReactElement {
  const { decision } = props;
  const { api } = useHub();
  const [choice, setChoice] = React.useState<Choice | undefined>();
  const [busy, setBusy] = React.useState(false);
  const spec = decision.gate ? GATE_ACTIONS[decision.gate] : undefined;

  const answer = async (chosen: Choice) => {
    setBusy(true);
    try {
      await api.decide(decision.threadId, { action: chosen.action, decisionId: decision.id });
      props.onAnswered({ severity: MessageCardSeverity.Info, text: answeredText(decision, chosen) });
    } catch (error) {
      const conflict = error instanceof ApiError && error.kind === 'conflict';
      props.onAnswered({
        severity: conflict ? MessageCardSeverity.Warning : MessageCardSeverity.Error,
        text: `${gateLabel(decision)}: ${conflict ? alreadyDecidedText(error) : errorText(error)}`,
      });
    } finally {
      setBusy(false);
      setChoice(undefined);
    }
  };

  return (
    <Card
      className="ra-decision-card"
      titleProps={{ text: spec ? `Gate ${spec.number} · ${spec.title}` : 'Unknown gate', ariaLevel: 2 }}
      headerDescriptionProps={{ text: orMissing(decision.repo) }}
    >
      <div className="flex-column rhythm-vertical-16 full-width">
        <DecisionFacts decision={decision} />
        {spec ? (
          <ButtonGroup className="ra-decision-buttons">
            <Button
              text={spec.approve.label}
              primary
              disabled={busy}
              onClick={() => setChoice({ button: spec.approve, action: verb(spec.approve) })}
            />
            <Button
              text={spec.reject.label}
              danger={GATE_WORDING[spec.gate].rejectStyle === 'danger'}
              disabled={busy}
              onClick={() => setChoice({ button: spec.reject, action: verb(spec.reject) })}
            />
          </ButtonGroup>
        ) : (
          <div className="secondary-text">
            This hub does not know this gate: answer it in Slack or through the API.
          </div>
        )}
      </div>
      {choice && spec ? (
        <ConfirmDecision
          decision={decision}
          spec={spec}
          choice={choice}
          busy={busy}
          onConfirm={() => void answer(choice)}
          onDismiss={() => setChoice(undefined)}
        />
      ) : null}
    </Card>
  );
}

function ConfirmDecision(props: {
  decision: DecisionView;
  spec: GateSpec;
  choice: Choice;
  busy: boolean;
  onConfirm: () => void;
  onDismiss: () => void;
}): React.ReactElement {
  const { decision, choice } = props;
  return (
    <Dialog
      className="ra-confirm"
      titleProps={{ text: `${choice.button.label}: ${gateLabel(decision)}?` }}
      onDismiss={props.onDismiss}
      footerButtonProps={[
        { text: 'Back', onClick: props.onDismiss, disabled: props.busy },
        {
          text: `Confirm ${choice.button.label}`,
          primary: choice.button.outcome === 'approved',
          danger:
            choice.button.outcome === 'rejected' && GATE_WORDING[props.spec.gate].rejectStyle === 'danger',
          onClick: props.onConfirm,
          disabled: props.busy,
        },
      ]}
    >
      {`${subject(decision)}. This is the same single-shot decision as the Slack button: it cannot be undone, and the Slack card will be updated.`}
    </Dialog>
  );
}

function verb(button: GateButton): string {
  return button.label.toLowerCase();
}

function gateLabel(decision: DecisionView): string {
  return decision.gate
    ? `gate ${GATE_ACTIONS[decision.gate].number} for ${orMissing(decision.repo)}`
    : `decision ${decision.id}`;
}

function answeredText(decision: DecisionView, choice: Choice): string {
  const wording = decision.gate ? GATE_WORDING[decision.gate] : undefined;
  const done = choice.button.outcome === 'approved' ? wording?.approvedVerb : wording?.rejectedVerb;
  return `${done ?? choice.button.label}: ${gateLabel(decision)} is decided; the Slack card is being updated.`;
}

// ---------------------------------------------------------------------------------------------
// What the decision is about, per gate: the Slack card's facts (details), else the target's.

type Row = [label: string, value: React.ReactNode];

/** A field of the card's details or the target, read by name: each gate's rows pick what its kind has. */
function field(record: object | undefined, name: string): unknown {
  return record ? (record as Readonly<Record<string, unknown>>)[name] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== ''
    ? value
    : typeof value === 'number'
      ? String(value)
      : undefined;
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The Jira site the gate card links to. */
function jiraOf(decision: DecisionView): string | undefined {
  return text(field(decision.details, 'jiraBaseUrl'));
}

/** The first of details.name, target.name. */
function pick(decision: DecisionView, name: string): unknown {
  return field(decision.details, name) ?? field(decision.target, name);
}

function subject(decision: DecisionView): string {
  const repo = orMissing(decision.repo);
  const version = text(pick(decision, 'version'));
  switch (decision.gate) {
    case 'merge_pr':
      return `PR #${orMissing(text(pick(decision, 'prId')))} in ${repo}`;
    case 'approve_stage':
      return `${repo} ${orMissing(version)} to ${orMissing(text(pick(decision, 'stage')))}`;
    default:
      return `${repo} ${orMissing(version)}`;
  }
}

const GATE_ROWS: Readonly<Record<GateKind, (decision: DecisionView) => Row[]>> = {
  merge_pr: (decision) => {
    const repo = decision.repo ?? '';
    const prId = numberOf(pick(decision, 'prId'));
    const review = record(field(decision.details, 'review'));
    const ticket = text(record(field(decision.details, 'ticket')).key);
    const source = branchName(text(field(decision.details, 'sourceBranch')));
    const target = branchName(text(field(decision.details, 'targetBranch')));
    return [
      [
        'Pull request',
        prId === undefined ? (
          MISSING
        ) : (
          <PullRequestLink
            key="pr"
            repo={repo}
            prId={prId}
            {...optional('url', text(field(decision.details, 'prUrl')))}
            {...optional('title', text(field(decision.details, 'prTitle')))}
          />
        ),
      ],
      ['Author', orMissing(text(field(decision.details, 'author')))],
      [
        'Ticket',
        ticket ? <TicketLink key="ticket" ticketKey={ticket} jiraBaseUrl={jiraOf(decision)} /> : MISSING,
      ],
      ['Branch', source ? `${source}${target ? ` → ${target}` : ''}` : MISSING],
      ['Commit', shortCommit(text(pick(decision, 'sourceCommit')))],
      ['Findings', formatCount(numberOf(review.findingsCount))],
      ['Review cost', formatUsd(numberOf(review.costUsd))],
    ];
  },
  create_release_pr: (decision) => [
    ['Version', orMissing(text(pick(decision, 'version')))],
    [
      'Tickets',
      <TicketKeys
        key="tickets"
        jiraBaseUrl={jiraOf(decision)}
        tickets={list(field(decision.details, 'tickets')).flatMap((item) => text(record(item).key) ?? [])}
      />,
    ],
  ],
  merge_release_pr: (decision) => {
    const pr = record(field(decision.details, 'releasePr'));
    const prId = numberOf(pr.id) ?? numberOf(field(decision.target, 'prId'));
    return [
      ['Version', orMissing(text(pick(decision, 'version')))],
      [
        'Release PR',
        prId === undefined ? (
          MISSING
        ) : (
          <PullRequestLink
            key="release-pr"
            repo={decision.repo ?? ''}
            prId={prId}
            {...optional('url', text(pr.url))}
            {...optional('title', text(pr.title))}
          />
        ),
      ],
    ];
  },
  run_pipelines: (decision) => {
    const fromDetails = list(field(decision.details, 'pipelines')).map((item) => ({
      name: text(record(item).name) ?? MISSING,
      url: text(record(item).url),
    }));
    const pipelines =
      fromDetails.length > 0
        ? fromDetails
        : list(field(decision.target, 'pipelines')).map((name) => ({
            name: text(name) ?? MISSING,
            url: undefined,
          }));
    return [
      ['Version', orMissing(text(pick(decision, 'version')))],
      [
        'Pipelines',
        pipelines.length === 0 ? (
          MISSING
        ) : (
          <span key="pipelines" className="rhythm-horizontal-8">
            {pipelines.map((pipeline) => (
              <UrlLink key={`${pipeline.name} ${pipeline.url ?? ''}`} url={pipeline.url}>
                {pipeline.name}
              </UrlLink>
            ))}
          </span>
        ),
      ],
    ];
  },
  approve_stage: (decision) => [
    ['Version', orMissing(text(pick(decision, 'version')))],
    ['Stage', orMissing(text(pick(decision, 'stage')))],
    [
      'Run',
      <UrlLink key="run" url={text(field(decision.details, 'runUrl'))}>
        {text(field(decision.details, 'runUrl')) ? 'Open the run' : MISSING}
      </UrlLink>,
    ],
  ],
};

function optional<K extends string>(name: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
}

function TicketKeys(props: { tickets: string[]; jiraBaseUrl: string | undefined }): React.ReactElement {
  if (props.tickets.length === 0) return <span>{MISSING}</span>;
  return (
    <span className="rhythm-horizontal-8">
      {props.tickets.map((key) => (
        <TicketLink key={key} ticketKey={key} jiraBaseUrl={props.jiraBaseUrl} />
      ))}
    </span>
  );
}

function DecisionFacts(props: { decision: DecisionView }): React.ReactElement {
  const { decision } = props;
  const rows: Row[] = [
    ...(decision.gate ? GATE_ROWS[decision.gate](decision) : []),
    ['Asked', formatTime(decision.createdAt)],
    ...(decision.expiresAt ? ([['Expires', formatTime(decision.expiresAt)]] satisfies Row[]) : []),
  ];
  const review = record(field(decision.details, 'review'));
  const summary = decision.gate === 'merge_pr' ? text(review.summary) : undefined;
  return (
    <div className="flex-column rhythm-vertical-8">
      <dl className="ra-decision-facts">
        {rows.map(([label, value]) => (
          <React.Fragment key={label}>
            <dt className="secondary-text">{label}</dt>
            <dd>{value}</dd>
          </React.Fragment>
        ))}
      </dl>
      {summary ? <p className="ra-review-summary">{summary}</p> : null}
      {review.injectionSuspected === true ? (
        <MessageCard severity={MessageCardSeverity.Warning}>
          The review suspects instructions hidden in the PR text: read the diff yourself.
        </MessageCard>
      ) : null}
    </div>
  );
}
