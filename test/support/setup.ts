// Runs before every test file. Tests must never talk to a real model provider.
process.env['IDEAMINE_MODEL'] ??= 'offline';
for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY']) delete process.env[key];
