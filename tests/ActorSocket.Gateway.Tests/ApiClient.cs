using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ActorSocket.Gateway.Tests;

/// <summary>The server API from a backend's side: .NET's HttpClient, JSON in and out.</summary>
internal sealed class ApiClient(int port, string? key)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public Task<(int Status, JsonElement Body)> PostAsync(string endpoint, string json) =>
        SendAsync(HttpMethod.Post, endpoint, new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<(int Status, JsonElement Body)> GetAsync(string endpoint) => SendAsync(HttpMethod.Get, endpoint, null);

    /// <summary>POSTs and expects 200: the result.</summary>
    public async Task<JsonElement> ResultAsync(string endpoint, string json)
    {
        (int status, JsonElement body) = await PostAsync(endpoint, json);
        Assert.True(status == 200, endpoint + " answered " + status + ": " + body);
        return body.GetProperty("result");
    }

    private async Task<(int Status, JsonElement Body)> SendAsync(HttpMethod method, string endpoint, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, "http://127.0.0.1:" + port + "/api/" + endpoint) { Content = content };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("apikey", key);
        }

        using HttpResponseMessage response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonElement body = text.Length > 0 && text[0] == '{' ? JsonDocument.Parse(text).RootElement.Clone() : JsonDocument.Parse(JsonSerializer.Serialize(text)).RootElement.Clone();
        return ((int)response.StatusCode, body);
    }
}
