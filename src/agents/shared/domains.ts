/**
 * Domain knowledge for the offline synthesizers. A domain is recognised from the idea's words and
 * supplies what a product person would assume about it: who uses it, what it stores, its core
 * features, its usual competitors and regulations. Templates use `{subject}`, `{subjects}`,
 * `{Subject}`, `{audience}`, `{buyer}` and `{seller}`; `profile.ts` fills them in.
 */

export interface FeatureTemplate {
  key: string;
  name: string;
  /** The data entity the feature mostly works on. */
  entity: string;
  /** The verb a user story uses: "share", "book". */
  verb: string;
  summary: string;
  /** Index of the role that mainly performs it (0-2: the roles written as personas by default). */
  actor: number;
}

export interface RoleTemplate {
  name: string;
  focus: string;
}

export interface DomainTemplate {
  key: string;
  label: string;
  keywords: readonly string[];
  defaultAudience: string;
  roles: readonly RoleTemplate[];
  entities: readonly string[];
  features: readonly FeatureTemplate[];
  competitors: readonly string[];
  compliance: readonly string[];
  revenue: 'subscription' | 'commission' | 'freemium' | 'usage';
  northStar: string;
}

export function f(
  key: string,
  name: string,
  entity: string,
  verb: string,
  summary: string,
  actor = 0,
): FeatureTemplate {
  return { key, name, entity, verb, summary, actor };
}

function kw(words: string): readonly string[] {
  return words.split(' ');
}

export const DOMAINS: readonly DomainTemplate[] = [
  {
    key: 'productivity',
    label: 'team productivity',
    keywords: kw('todo task tasks list lists project projects team teams kanban notes'),
    defaultAudience: 'small teams',
    roles: [
      { name: 'Team lead', focus: 'keeps the work of {audience} visible and on schedule' },
      { name: 'Team member', focus: 'picks up {subject} items and marks them done' },
      { name: 'Freelance collaborator', focus: 'joins a few shared {subject} lists from outside the team' },
      { name: 'Workspace admin', focus: 'manages members, permissions and billing' },
    ],
    entities: ['Workspace', 'Member', 'List', 'Item'],
    features: [
      f('lists', 'Create and organize {subject} lists', 'List', 'organize', 'lists grouped by project'),
      f(
        'items',
        'Add {subject} items with due dates',
        'Item',
        'add',
        'items with owner, due date, status',
        1,
      ),
      f('complete', 'Mark {subject} items done and see progress', 'Item', 'complete', 'progress per list', 1),
      f('activity', 'Activity feed of changes', 'Activity', 'review', 'who changed what, when'),
    ],
    competitors: ['Trello-style boards', 'spreadsheet checklists', 'chat-channel task threads'],
    compliance: ['GDPR for member data'],
    revenue: 'freemium',
    northStar: 'weekly active teams completing items',
  },
  {
    key: 'marketplace',
    label: 'two-sided marketplace',
    keywords: kw('marketplace rent renting rental rentals lend borrow sell buy peer listing listings hire'),
    defaultAudience: '{buyer}s and {seller}s',
    roles: [
      { name: '{Subject} {buyer}', focus: 'finds the right {subject} quickly and trusts the {seller}' },
      { name: '{Subject} {seller}', focus: 'earns from idle {subjects} with little effort' },
      { name: 'Marketplace operator', focus: 'keeps supply, demand and trust balanced' },
      { name: 'First-time {buyer}', focus: 'needs reassurance before the first transaction' },
    ],
    entities: ['Listing', 'Booking', 'Account', 'Payout'],
    features: [
      f(
        'listings',
        'List {subjects} with photos, price and availability',
        'Listing',
        'list',
        'supply side',
        1,
      ),
      f('search', 'Search {subjects} by date, place and price', 'Listing', 'search', 'demand side'),
      f('booking', 'Request and confirm a {subject} booking', 'Booking', 'book', 'the core transaction'),
      f(
        'payouts',
        'Pay out {seller}s after each booking',
        'Payout',
        'receive',
        'money to the supply side',
        1,
      ),
    ],
    competitors: ['general classifieds sites', 'incumbent rental shops', 'social-media groups'],
    compliance: ['PCI DSS via a payment provider', 'consumer protection and marketplace terms'],
    revenue: 'commission',
    northStar: 'completed bookings per week',
  },
  {
    key: 'health',
    label: 'digital health',
    keywords: kw(
      'health healthcare patient patients clinic doctor medical diagnostic therapy fitness wellness symptom',
    ),
    defaultAudience: 'patients and clinicians',
    roles: [
      { name: 'Patient', focus: 'understands their {subject} results and next steps' },
      { name: 'Clinician', focus: 'reviews {subject} cases quickly and safely' },
      { name: 'Compliance officer', focus: 'proves that patient data stays protected' },
      { name: 'Care coordinator', focus: 'routes cases to the right clinician' },
    ],
    entities: ['Patient', 'Case', 'Observation', 'Consent'],
    features: [
      f('intake', 'Capture {subject} intake with consent', 'Consent', 'submit', 'structured intake'),
      f('cases', 'Review {subject} cases in a clinician queue', 'Case', 'review', 'triage queue', 1),
      f(
        'results',
        'Share {subject} results with the patient',
        'Observation',
        'view',
        'plain-language results',
        1,
      ),
      f('audit', 'Audit trail of every record access', 'AuditEvent', 'audit', 'access log', 2),
    ],
    competitors: ['EHR vendor modules', 'paper and fax workflows', 'telehealth suites'],
    compliance: ['HIPAA', 'GDPR special-category data', 'medical device software rules (IEC 62304)'],
    revenue: 'subscription',
    northStar: 'cases resolved within the target time',
  },
  {
    key: 'finance',
    label: 'personal and business finance',
    keywords: kw(
      'finance budget budgeting expense expenses invoice invoices money bank savings accounting tax payroll',
    ),
    defaultAudience: 'households and freelancers',
    roles: [
      { name: 'Budget owner', focus: 'knows where the {subject} money goes each month' },
      { name: 'Freelancer', focus: 'sends invoices and tracks {subject} income' },
      { name: 'Accountant', focus: 'gets clean exports at the end of the period' },
      { name: 'Household partner', focus: 'shares visibility without sharing passwords' },
    ],
    entities: ['Account', 'Transaction', 'Category', 'Budget'],
    features: [
      f('import', 'Import {subject} transactions from bank files', 'Transaction', 'import', 'CSV/OFX import'),
      f('categorize', 'Categorize {subject} transactions with rules', 'Category', 'categorize', 'rules'),
      f('budgets', 'Set monthly {subject} budgets and alerts', 'Budget', 'plan', 'limits and alerts'),
      f('reports', 'Monthly {subject} reports', 'Report', 'review', 'trends by category', 2),
    ],
    competitors: ['spreadsheet budgets', 'bank app dashboards', 'legacy desktop accounting'],
    compliance: ['PCI DSS', 'PSD2 strong customer authentication', 'GDPR'],
    revenue: 'subscription',
    northStar: 'monthly active budgets reviewed',
  },
  {
    key: 'education',
    label: 'learning',
    keywords: kw(
      'learn learning course courses student students teacher teachers lesson lessons quiz school tutor study language',
    ),
    defaultAudience: 'students and teachers',
    roles: [
      { name: 'Learner', focus: 'practises {subject} a little every day' },
      { name: 'Teacher', focus: 'assigns {subject} lessons and sees who struggles' },
      { name: 'Parent', focus: 'follows progress without micromanaging' },
      { name: 'School admin', focus: 'rolls the tool out to whole classes' },
    ],
    entities: ['Course', 'Lesson', 'Attempt', 'Enrollment'],
    features: [
      f('lessons', 'Bite-sized {subject} lessons', 'Lesson', 'study', 'short lessons'),
      f('quizzes', 'Practice {subject} quizzes with feedback', 'Attempt', 'practise', 'instant feedback'),
      f('progress', 'Track {subject} progress and streaks', 'Enrollment', 'track', 'streaks and mastery'),
      f('classes', 'Assign {subject} lessons to a class', 'Course', 'assign', 'teacher tools', 1),
    ],
    competitors: ['flashcard apps', 'video course platforms', 'printed workbooks'],
    compliance: ['COPPA and FERPA for minors', 'GDPR'],
    revenue: 'freemium',
    northStar: 'learners active 4+ days a week',
  },
  {
    key: 'social',
    label: 'community',
    keywords: kw(
      'community social friends neighbors neighbours club group groups events event meetup volunteer',
    ),
    defaultAudience: 'local communities',
    roles: [
      { name: 'Organizer', focus: 'gathers people around {subject} with little admin' },
      { name: 'Member', focus: 'discovers {subject} activities nearby' },
      { name: 'Moderator', focus: 'keeps discussions safe and on topic' },
      { name: 'Newcomer', focus: 'wants to join without social friction' },
    ],
    entities: ['Group', 'Member', 'Post', 'Event'],
    features: [
      f('groups', 'Create {subject} groups', 'Group', 'create', 'groups with roles'),
      f('posts', 'Post and discuss {subject} updates', 'Post', 'post', 'threads', 1),
      f('events', 'Organize {subject} events with RSVPs', 'Event', 'organize', 'events and RSVPs'),
      f('moderation', 'Report and moderate content', 'Report', 'moderate', 'safety tools', 2),
    ],
    competitors: ['social-network groups', 'mailing lists', 'chat communities'],
    compliance: ['GDPR', 'online safety and content moderation duties'],
    revenue: 'freemium',
    northStar: 'members attending or posting weekly',
  },
  {
    key: 'commerce',
    label: 'online retail',
    keywords: kw(
      'shop store ecommerce e-commerce order orders product products cart subscription delivery grocery food meal meals recipe recipes',
    ),
    defaultAudience: 'online shoppers',
    roles: [
      { name: 'Shopper', focus: 'gets the right {subject} delivered without hassle' },
      { name: 'Store manager', focus: 'keeps the {subject} catalog and stock accurate' },
      { name: 'Support agent', focus: 'resolves order problems fast' },
      { name: 'Repeat customer', focus: 'reorders {subject} in two taps' },
    ],
    entities: ['Product', 'Cart', 'Order', 'Customer'],
    features: [
      f('catalog', 'Browse the {subject} catalog', 'Product', 'browse', 'catalog with filters'),
      f('cart', 'Add {subject} to a cart and check out', 'Cart', 'buy', 'checkout'),
      f('orders', 'Track {subject} orders', 'Order', 'track', 'order status'),
      f('reorder', 'Reorder past {subject} purchases', 'Order', 'reorder', 'repeat purchase'),
    ],
    competitors: ['large general marketplaces', 'local stores', 'social-commerce shops'],
    compliance: ['PCI DSS via a payment provider', 'consumer rights and returns law'],
    revenue: 'commission',
    northStar: 'repeat orders per month',
  },
  {
    key: 'devtools',
    label: 'developer tooling',
    keywords: kw(
      'developer developers code api deploy deployment ci logs monitoring git repository cli sdk infrastructure',
    ),
    defaultAudience: 'software teams',
    roles: [
      { name: 'Developer', focus: 'gets {subject} feedback without leaving the terminal' },
      { name: 'Tech lead', focus: 'keeps {subject} standards consistent across repos' },
      { name: 'Platform engineer', focus: 'runs {subject} reliably for every team' },
      { name: 'Security engineer', focus: 'audits {subject} access and changes' },
    ],
    entities: ['Organization', 'Project', 'Run', 'Token'],
    features: [
      f('connect', 'Connect a repository to {subject}', 'Project', 'connect', 'repo integration'),
      f('runs', 'Run {subject} checks on every change', 'Run', 'run', 'automated runs'),
      f('results', 'Inspect {subject} results and logs', 'Run', 'inspect', 'results view'),
      f('tokens', 'Manage API tokens and access', 'Token', 'manage', 'scoped tokens', 2),
    ],
    competitors: ['hosted CI vendors', 'home-grown scripts', 'open-source self-hosted tools'],
    compliance: ['SOC 2 expectations of enterprise buyers', 'GDPR for account data'],
    revenue: 'usage',
    northStar: 'weekly active projects',
  },
  {
    key: 'travel',
    label: 'travel and outdoors',
    keywords: kw('travel trip trips hotel camping hiking outdoor outdoors tour itinerary flight vacation'),
    defaultAudience: 'travellers',
    roles: [
      { name: 'Trip planner', focus: 'plans a {subject} trip without twenty browser tabs' },
      { name: 'Travel companion', focus: 'sees the plan and adds ideas' },
      { name: 'Local host', focus: 'offers {subject} experiences to visitors' },
      { name: 'Weekend adventurer', focus: 'books spontaneous {subject} trips on mobile' },
    ],
    entities: ['Trip', 'Stop', 'Traveller', 'Reservation'],
    features: [
      f('trips', 'Plan a {subject} trip itinerary', 'Trip', 'plan', 'day-by-day plan'),
      f('invite', 'Invite companions to a {subject} trip', 'Traveller', 'invite', 'shared plan'),
      f('reserve', 'Keep {subject} reservations in one place', 'Reservation', 'save', 'confirmations'),
      f('offline', 'Use the {subject} itinerary offline', 'Trip', 'open', 'offline access'),
    ],
    competitors: ['online travel agencies', 'notes and spreadsheets', 'guidebook apps'],
    compliance: ['GDPR', 'package travel regulations when bundling bookings'],
    revenue: 'freemium',
    northStar: 'trips planned and completed',
  },
];
