/** Requests shaped and signed exactly as Slack sends them: the chat console's builders, which the tests share. */
export {
  buttonClick,
  type SignedRequest,
  sign,
  slashCommand,
  viewSubmission,
} from '../local/console/slack-payloads';
