"""Course search across every school's catalogue (Wagtail search)."""

from django.core.paginator import Paginator
from django.shortcuts import render

from courses.models import CoursePage
from courses.search import cjk_spaced


def search(request):
    query = request.GET.get("query", "").strip()[:100]
    results = CoursePage.objects.none()
    if query:
        results = CoursePage.objects.live().search(cjk_spaced(query), operator="and")
    page = Paginator(results, 20).get_page(request.GET.get("page"))
    return render(request, "courses/search.html", {"query": query, "results": page})
