// One home section in full ("Show all"): GET /v1/me/home/sections/{id} (docs/formats/home.md),
// a page of the section's items; scope user-top-read, as the home feed.
import type { HomeItem } from './home';
import { api } from './index';
import type { Paging } from './types';

export interface HomeSectionPage {
  id: string;
  title: string;
  items: Paging<HomeItem>;
}

export const getHomeSection = (sectionId: string, offset: number, limit = 50, signal?: AbortSignal) =>
  api.get<HomeSectionPage>(`/v1/me/home/sections/${encodeURIComponent(sectionId)}`, { offset, limit }, signal);

/** The page that shows a section in full. */
export const homeSectionHref = (sectionId: string) => `/shelf/${encodeURIComponent(sectionId)}`;
