import type { FastifyInstance } from 'fastify';
import { deadlineEvents, dueDates, type DeadlineEvent, type JurisdictionProfile } from '../../platform/calendar/jurisdictions.ts';
import { HubError } from '../../platform/errors.ts';
import { roles } from '../../principals/types.ts';

/**
 * The due dates an event starts under the configured jurisdiction, from the same functions the
 * timers use, so people and other systems see the dates the hub acts on. Any signed-in role.
 */
export async function deadlineRoutes(app: FastifyInstance, { profile }: { profile: JurisdictionProfile }): Promise<void> {
  app.get<{ Querystring: { event: DeadlineEvent; from?: string } }>(
    '/deadlines',
    {
      config: { roles },
      schema: {
        tags: ['deadlines'],
        summary: 'Due dates an event starts (application, correction, catalog change), with their legal basis',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['event'],
          properties: {
            event: { type: 'string', enum: [...deadlineEvents] },
            from: {
              type: 'string',
              maxLength: 40,
              pattern: '^\\d{4}-\\d{2}-\\d{2}(T[0-9:.]+(Z|[+-]\\d{2}:\\d{2}))?$',
              description: 'when the event happened: a China date (YYYY-MM-DD) or an ISO instant; default now',
            },
          },
        },
      },
    },
    async (request) => {
      const { event, from } = request.query;
      const at = from === undefined ? new Date() : new Date(from.length === 10 ? `${from}T12:00:00+08:00` : from);
      if (Number.isNaN(at.getTime())) throw new HubError('HUB_ERR_VALIDATION', `from: "${from}" is not a date`);
      const year = at.getUTCFullYear();
      if (year < 2000 || year > 2100) throw new HubError('HUB_ERR_VALIDATION', 'from: the working-day calendar covers 2000 to 2100 only');
      return { jurisdiction: profile.id, city: profile.city, event, deadlines: dueDates(profile, event, at) };
    },
  );
}
