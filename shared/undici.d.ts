// The pool imports undici's Agent module directly (see upstreamPool.ts); its types are the package's.
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';

  const AgentClass: typeof Agent;
  export default AgentClass;
}
