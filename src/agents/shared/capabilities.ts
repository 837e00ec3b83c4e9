import { type DomainTemplate, type FeatureTemplate, f } from './domains.ts';

/** What any idea gets when no domain matches its words. */
export const GENERIC_DOMAIN: DomainTemplate = {
  key: 'general',
  label: 'general software product',
  keywords: [],
  defaultAudience: 'early adopters',
  roles: [
    { name: 'Primary user', focus: 'gets the {subject} job done in minutes' },
    { name: 'Occasional user', focus: 'returns to {subject} once a month and must not relearn it' },
    { name: 'Team admin', focus: 'sets up {subject} for a group' },
    { name: 'Evaluator', focus: 'decides whether {subject} is worth paying for' },
  ],
  entities: ['Account', 'Record', 'Setting'],
  features: [
    f('create', 'Create and edit {subject} records', 'Record', 'create', 'core records'),
    f('browse', 'Browse and filter {subjects}', 'Record', 'browse', 'list views'),
    f('share', 'Share {subjects} with others', 'Share', 'share', 'links and roles'),
    f('settings', 'Personal settings and notifications', 'Setting', 'configure', 'preferences', 2),
  ],
  competitors: ['spreadsheets', 'general-purpose tools', 'doing nothing'],
  compliance: ['GDPR'],
  revenue: 'freemium',
  northStar: 'weekly active users',
};

/** Capabilities any idea can ask for in words; each brings a feature the domain may lack. */
export const CAPABILITIES: readonly { words: readonly string[]; feature: FeatureTemplate }[] = [
  {
    words: ['shared', 'share', 'sharing', 'collaborate', 'collaborative'],
    feature: f('sharing', 'Share {subjects} with {audience}', 'Share', 'share', 'invite links and roles'),
  },
  {
    words: ['assign', 'assignment', 'assignments', 'delegate'],
    feature: f('assign', 'Assign {subject} work to a person', 'Assignment', 'assign', 'owner per item'),
  },
  {
    words: ['remind', 'reminder', 'reminders', 'notify', 'notification', 'notifications', 'alerts'],
    feature: f('notify', 'Reminders and notifications', 'Notification', 'notify', 'email and push'),
  },
  {
    words: ['chat', 'message', 'messages', 'messaging', 'comment', 'comments'],
    feature: f('messaging', 'Message about a {subject}', 'Message', 'message', 'threads'),
  },
  {
    words: ['pay', 'payment', 'payments', 'checkout', 'deposit'],
    feature: f('payments', 'Secure {subject} payments', 'Payment', 'pay', 'card payments via a provider'),
  },
  {
    words: ['review', 'reviews', 'rating', 'ratings', 'trust'],
    feature: f('reviews', 'Reviews and ratings for {subjects}', 'Review', 'rate', 'two-way reviews'),
  },
  {
    words: ['schedule', 'calendar', 'appointment', 'appointments', 'availability'],
    feature: f('calendar', 'Schedule {subject} on a calendar', 'Slot', 'schedule', 'availability calendar'),
  },
  {
    words: ['photo', 'photos', 'upload', 'image', 'images', 'document', 'documents'],
    feature: f('uploads', 'Upload photos and documents', 'Attachment', 'upload', 'media storage'),
  },
  {
    words: ['analytics', 'report', 'reports', 'insights', 'dashboard', 'metrics'],
    feature: f('insights', '{Subject} insights dashboard', 'Report', 'analyze', 'charts and exports'),
  },
  {
    words: ['map', 'maps', 'location', 'nearby', 'local', 'gps'],
    feature: f('nearby', 'Find {subjects} nearby on a map', 'Location', 'locate', 'geo search'),
  },
  {
    words: [
      'recommend',
      'recommendation',
      'recommendations',
      'personalized',
      'ai',
      'ai-powered',
      'match',
      'matching',
    ],
    feature: f(
      'recommend',
      'Personalized {subject} recommendations',
      'Recommendation',
      'discover',
      'ranking model',
    ),
  },
  {
    words: ['offline', 'sync'],
    feature: f('sync', 'Offline use with sync', 'SyncState', 'sync', 'local-first cache'),
  },
  {
    words: ['export', 'import', 'csv'],
    feature: f('export', 'Import and export {subject} data', 'Export', 'export', 'CSV export'),
  },
  {
    words: ['invite', 'members', 'team', 'teams', 'family'],
    feature: f('members', 'Invite members to a workspace', 'Member', 'invite', 'member management'),
  },
  {
    words: ['deadline', 'deadlines', 'due', 'priority', 'priorities'],
    feature: f('deadlines', 'Due dates and priorities', 'Item', 'prioritize', 'sort by urgency'),
  },
];
