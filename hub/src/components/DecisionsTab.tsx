// Decisions: the pending gate questions, with the same buttons as the Slack card. A click here is the
// same single-shot decision as a Slack click (POST /api/approvals/{threadId}); the function app then
// updates the Slack card. The list is reloaded after every answer, whatever it was.
import { Button } from 'azure-devops-ui/Button.js';
import { ButtonGroup } from 'azure-devops-ui/ButtonGroup.js';
import { Card } from 'azure-devops-ui/Card.js';
import { Dialog } from 'azure-devops-ui/Dialog.js';
import { MessageCard, MessageCardSeverity } from 'azure-devops-ui/MessageCard.js';
import * as React from 'react';
import { GATE_ACTIONS, type GateButton, type GateSpec } from '../../../core/gate-registry.ts';
import type { DecisionTarget, GateDetails, GateKind } from '../../../core/model.ts';
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
  // A gate this hub does not know yet (a newer function app) is listed without buttons.
  const spec: GateSpec | undefined = GATE_ACTIONS[decision.gate];

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
              danger={spec.reject.style === 'danger'}
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
          danger: choice.button.outcome === 'rejected' && props.spec.reject.style === 'danger',
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
  return `gate ${decision.gateNumber} for ${orMissing(decision.repo)}`;
}

function answeredText(decision: DecisionView, choice: Choice): string {
  const wording: GateSpec['wording'] | undefined = GATE_ACTIONS[decision.gate]?.wording;
  const done = choice.button.outcome === 'approved' ? wording?.approvedVerb : wording?.rejectedVerb;
  return `${done ?? choice.button.label}: ${gateLabel(decision)} is decided; the Slack card is being updated.`;
}

// ---------------------------------------------------------------------------------------------
// What the decision is about, per gate: the Slack card's facts (details), else the target's.

type Row = [label: string, value: React.ReactNode];

/** The card's details when they are this gate's (a decision recorded without a card has none). */
function detailsOf<G extends GateKind>(
  decision: DecisionView,
  gate: G,
): Extract<GateDetails, { gate: G }> | undefined {
  const details = decision.details;
  return details?.gate === gate ? (details as Extract<GateDetails, { gate: G }>) : undefined;
}

function targetOf<G extends GateKind>(
  decision: DecisionView,
  gate: G,
): Extract<DecisionTarget, { gate: G }> | undefined {
  const target = decision.target;
  return target.gate === gate ? (target as Extract<DecisionTarget, { gate: G }>) : undefined;
}

/** Gates 2–5 name a version in their target. */
function versionOf(decision: DecisionView): string | undefined {
  return 'version' in decision.target ? decision.target.version : undefined;
}

function subject(decision: DecisionView): string {
  const repo = orMissing(decision.repo);
  const version = orMissing(versionOf(decision));
  const merge = targetOf(decision, 'merge_pr');
  if (merge) return `PR #${merge.prId} in ${repo}`;
  const stage = targetOf(decision, 'approve_stage');
  if (stage) return `${repo} ${version} to ${stage.stage}`;
  return `${repo} ${version}`;
}

const GATE_ROWS: Readonly<Record<GateKind, (decision: DecisionView) => Row[]>> = {
  merge_pr: (decision) => {
    const details = detailsOf(decision, 'merge_pr');
    const target = targetOf(decision, 'merge_pr');
    const prId = details?.prId ?? target?.prId;
    const ticket = details?.ticket?.key;
    const source = branchName(details?.sourceBranch);
    const into = branchName(details?.targetBranch);
    return [
      [
        'Pull request',
        prId === undefined ? (
          MISSING
        ) : (
          <PullRequestLink
            key="pr"
            repo={decision.repo}
            prId={prId}
            {...optional('url', details?.prUrl)}
            {...optional('title', details?.prTitle)}
          />
        ),
      ],
      ['Author', orMissing(details?.author)],
      [
        'Ticket',
        ticket ? <TicketLink key="ticket" ticketKey={ticket} jiraBaseUrl={details?.jiraBaseUrl} /> : MISSING,
      ],
      ['Branch', source ? `${source}${into ? ` → ${into}` : ''}` : MISSING],
      ['Commit', shortCommit(details?.sourceCommit ?? target?.sourceCommit)],
      ['Findings', formatCount(details?.review.findingsCount)],
      ['Review cost', formatUsd(details?.review.costUsd)],
    ];
  },
  create_release_pr: (decision) => {
    const details = detailsOf(decision, 'create_release_pr');
    return [
      ['Version', orMissing(versionOf(decision))],
      [
        'Tickets',
        <TicketKeys
          key="tickets"
          jiraBaseUrl={details?.jiraBaseUrl}
          tickets={details?.tickets.map((ticket) => ticket.key) ?? []}
        />,
      ],
    ];
  },
  merge_release_pr: (decision) => {
    const pr = detailsOf(decision, 'merge_release_pr')?.releasePr;
    const prId = pr?.id ?? targetOf(decision, 'merge_release_pr')?.prId;
    return [
      ['Version', orMissing(versionOf(decision))],
      [
        'Release PR',
        prId === undefined ? (
          MISSING
        ) : (
          <PullRequestLink
            key="release-pr"
            repo={decision.repo}
            prId={prId}
            {...optional('url', pr?.url)}
            {...optional('title', pr?.title)}
          />
        ),
      ],
    ];
  },
  run_pipelines: (decision) => {
    const fromDetails = detailsOf(decision, 'run_pipelines')?.pipelines ?? [];
    const pipelines: { name: string; url?: string }[] =
      fromDetails.length > 0
        ? fromDetails
        : (targetOf(decision, 'run_pipelines')?.pipelines ?? []).map((name) => ({ name }));
    return [
      ['Version', orMissing(versionOf(decision))],
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
  approve_stage: (decision) => {
    const runUrl = detailsOf(decision, 'approve_stage')?.runUrl;
    return [
      ['Version', orMissing(versionOf(decision))],
      ['Stage', orMissing(targetOf(decision, 'approve_stage')?.stage)],
      [
        'Run',
        <UrlLink key="run" url={runUrl}>
          {runUrl ? 'Open the run' : MISSING}
        </UrlLink>,
      ],
    ];
  },
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
    ...(GATE_ROWS[decision.gate]?.(decision) ?? []),
    ['Asked', formatTime(decision.createdAt)],
    ...(decision.expiresAt ? ([['Expires', formatTime(decision.expiresAt)]] satisfies Row[]) : []),
  ];
  const review = detailsOf(decision, 'merge_pr')?.review;
  const summary = review?.summary;
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
      {review?.injectionSuspected === true ? (
        <MessageCard severity={MessageCardSeverity.Warning}>
          The review suspects instructions hidden in the PR text: read the diff yourself.
        </MessageCard>
      ) : null}
    </div>
  );
}
