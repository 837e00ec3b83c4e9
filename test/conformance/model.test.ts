import { createOfflineModel } from '../../src/llm/offline-model.ts';
import { createOpenAICompatibleModel } from '../../src/llm/providers.ts';
import { startFakeOpenAIServer } from '../support/fake-openai-server.ts';
import { modelSuite } from './model-suite.ts';

modelSuite('offline', async () => ({ model: createOfflineModel(), deterministic: true }));

modelSuite('openai-compatible on the fake OpenAI server', async () => {
  const server = await startFakeOpenAIServer();
  return {
    model: createOpenAICompatibleModel({ model: 'fake-chat', baseUrl: server.url }),
    // The fake server's default reply is synthesised from the prompt, so it is deterministic too.
    deterministic: true,
    close: () => server.close(),
  };
});
